import type { AuthChecker } from 'type-graphql';
import type { Context } from '../context';
import type { Role } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';

/** `@Authorized(roles)`: anonymous → UNAUTHENTICATED, another role → FORBIDDEN. */
export const authChecker: AuthChecker<Context, Role> = ({ context, info }, roles) => {
  const principal = context.principal;
  if (!principal) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, `${info.fieldName} needs a bearer token with one of the roles ${roles.join(', ')}`);
  }
  if (roles.length > 0 && !roles.includes(principal.role)) {
    throw new AppError(ErrorCode.FORBIDDEN, `${info.fieldName} is allowed to ${roles.join(', ')}, not to ${principal.role}`);
  }
  return true;
};
