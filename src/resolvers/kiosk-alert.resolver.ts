import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import type { AlertService } from '../live/alerts/alert.service';
import { KioskAlertAction, KioskAlertStatus, KioskAlertType, toKioskAlertType } from './types/kiosk-alert.type';

/** Kiosk alerts (API.md, "Kiosk alerts"): the list, and a person's judgement. */
@Resolver()
export class KioskAlertResolver {
  constructor(private readonly alerts: AlertService) {}

  @Authorized(Role.ADMIN, Role.ANALYST)
  @Query(() => [KioskAlertType], { description: 'Kiosk alerts, newest first (at most 1000), by status, unit and year.' })
  async kioskAlerts(
    @Arg('status', () => KioskAlertStatus, { nullable: true }) status: KioskAlertStatus | null,
    @Arg('unitCode', () => String, { nullable: true }) unitCode: string | null,
    @Arg('year', () => Int, { nullable: true }) year: number | null,
  ): Promise<KioskAlertType[]> {
    return (await this.alerts.list({ status, unitCode, year })).map(toKioskAlertType);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => KioskAlertType, {
    description: 'DISMISS, QUARANTINE (its responses leave every figure, still stored) or RELEASE (they count again). CONFLICT on a published year.',
  })
  async resolveKioskAlert(
    @Arg('id', () => ID) id: string,
    @Arg('action', () => KioskAlertAction) action: KioskAlertAction,
    @Ctx() ctx: Context,
  ): Promise<KioskAlertType> {
    return toKioskAlertType(await this.alerts.resolve(ctx.principal!, id, action));
  }
}
