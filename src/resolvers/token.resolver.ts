import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AuthService, TokenRow } from '../auth/auth.service';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import { IssueTokenInput } from './inputs/setup.inputs';
import { toUnitType } from './mappers';
import { ApiTokenType } from './types/token.type';
import { UnitType } from './types/unit.type';

function toApiTokenType(t: TokenRow): ApiTokenType {
  return {
    id: t.publicId, role: t.role, name: t.name, unitId: t.unitId,
    createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt,
  };
}

@Resolver(() => ApiTokenType)
export class TokenResolver {
  constructor(private readonly auth: AuthService) {}

  @Authorized(Role.ADMIN)
  @Mutation(() => String, { description: 'Issues a bearer token; it is shown once and stored only hashed. A UNIT token needs unitCode.' })
  issueToken(@Arg('input') input: IssueTokenInput): Promise<string> {
    return this.auth.issueToken(input.role, input.name, input.unitCode);
  }

  @Authorized(Role.ADMIN)
  @Query(() => [ApiTokenType], { description: 'API tokens (of a role), oldest first, revoked ones included; never their secrets.' })
  async tokens(@Arg('role', () => Role, { nullable: true }) role?: Role | null): Promise<ApiTokenType[]> {
    return (await this.auth.tokens(role)).map(toApiTokenType);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ApiTokenType, { description: 'Revokes an API token: every instance refuses it from its next request on (UNAUTHENTICATED).' })
  async revokeToken(@Arg('id', () => ID) id: string): Promise<ApiTokenType> {
    return toApiTokenType(await this.auth.revokeToken(id));
  }

  @FieldResolver(() => UnitType, { nullable: true, description: "A UNIT token's unit; null for other roles." })
  async unit(@Root() token: ApiTokenType, @Ctx() ctx: Context): Promise<UnitType | null> {
    if (token.unitId === null) return null;
    const unit = await ctx.loaders.unitById.load(token.unitId);
    return unit && toUnitType(unit);
  }
}
