import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import type { Kiosk } from '../entities/kiosk.entity';
import type { KioskService } from '../survey/kiosk.service';
import { RegisterKioskInput } from './inputs/survey.inputs';
import { toUnitType } from './mappers';
import { KioskRegistrationType, KioskType } from './types/survey.type';
import { UnitType } from './types/unit.type';

function toKioskType(k: Kiosk): KioskType {
  return { id: k.publicId, label: k.label, active: k.active, unitId: k.unitId };
}

@Resolver(() => KioskType)
export class KioskResolver {
  constructor(private readonly kioskService: KioskService) {}

  @Authorized(Role.ADMIN)
  @Mutation(() => KioskRegistrationType, { description: "Registers a kiosk for a unit; its token is returned once and only its hash is kept." })
  async registerKiosk(@Arg('input') input: RegisterKioskInput): Promise<KioskRegistrationType> {
    const { kiosk, token } = await this.kioskService.register(input.unitCode, input.label);
    return { kiosk: toKioskType(kiosk), token };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => KioskType, { description: 'Revokes a kiosk: its token is refused from the next request on (UNAUTHENTICATED).' })
  async revokeKiosk(@Arg('id', () => ID) id: string): Promise<KioskType> {
    return toKioskType(await this.kioskService.revoke(id));
  }

  @Authorized(Role.ADMIN)
  @Query(() => [KioskType], { description: "A unit's kiosks, or all, in registration order." })
  async kiosks(@Arg('unitCode', () => String, { nullable: true }) unitCode?: string | null): Promise<KioskType[]> {
    return (await this.kioskService.list(unitCode)).map(toKioskType);
  }

  @FieldResolver(() => UnitType)
  async unit(@Root() kiosk: KioskType, @Ctx() ctx: Context): Promise<UnitType> {
    const unit = await ctx.loaders.unitById.load(kiosk.unitId);
    // A kiosk's unit cannot be deleted (fk_kiosk_unit is RESTRICT); should it ever be missing, say so with a contract code.
    if (!unit) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `The unit of kiosk ${kiosk.id} no longer exists`);
    return toUnitType(unit);
  }
}
