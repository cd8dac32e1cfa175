import { Arg, Authorized, Mutation, Resolver } from 'type-graphql';
import type { AuthService } from '../auth/auth.service';
import { Role } from '../entities/enums';
import { IssueTokenInput } from './inputs/setup.inputs';

@Resolver()
export class TokenResolver {
  constructor(private readonly auth: AuthService) {}

  @Authorized(Role.ADMIN)
  @Mutation(() => String, { description: 'Issues a bearer token; it is shown once and stored only hashed.' })
  issueToken(@Arg('input') input: IssueTokenInput): Promise<string> {
    return this.auth.issueToken(input.role, input.name);
  }
}
