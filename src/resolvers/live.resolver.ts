import { Arg, Ctx, Int, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../context';
import { UnitKind } from '../entities/enums';
import type { AlertEvent, ResultsEvent, SatisfactionEvent } from '../live/hub';
import { LiveSubscriptions } from '../live/subscriptions';
import { isVisible } from '../results/ranking.service';
import { toKioskAlertType, KioskAlertType } from './types/kiosk-alert.type';
import { IndexResultType, toIndexResultType } from './types/result.type';
import { SatisfactionStatType } from './types/survey.type';

type Args = { args: Record<string, unknown>; context: Context };

/**
 * Live data (API.md, "Live data"), over WebSocket at /graphql
 * (src/live/ws-server.ts). The subscribe side checks roles and arguments
 * as the queries do (src/live/subscriptions.ts); each event is resolved
 * here as the subscriber.
 */
@Resolver()
export class LiveResolver {
  @Subscription(() => [SatisfactionStatType], {
    description: "The unit's satisfaction by question, sent within 5 s of an accepted response (bursts coalesced per unit).",
    subscribe: ({ args, context }: Args) => LiveSubscriptions.satisfaction(context, args as { year: number; unitCode: string }),
  })
  satisfactionChanged(
    @Root() event: SatisfactionEvent,
    @Arg('year', () => Int) _year: number,
    @Arg('unitCode', () => String) _unitCode: string,
  ): SatisfactionStatType[] {
    return event.stats;
  }

  @Subscription(() => [IndexResultType], {
    description: 'The results of a year and kind that a recomputation changed, and only those. ADMIN, APPRAISER, ANALYST.',
    subscribe: ({ args, context }: Args) => LiveSubscriptions.results(context, args as { year: number; unitKind: UnitKind }),
  })
  async resultsChanged(
    @Root() event: ResultsEvent,
    @Arg('year', () => Int) _year: number,
    @Arg('unitKind', () => UnitKind) _unitKind: UnitKind,
    @Ctx() ctx: Context,
  ): Promise<IndexResultType[]> {
    LiveSubscriptions.freshLoaders(ctx);
    const rows = await Promise.all(event.unitIds.map((unitId) => ctx.loaders.results.byUnitYear.load({ unitId, year: event.year })));
    return rows.filter((r) => r !== null && isVisible(r.status, ctx.principal, r.unit_id)).map((r) => toIndexResultType(r!));
  }

  @Subscription(() => KioskAlertType, {
    description: 'Each kiosk alert when it is raised (of the unit, if given). ADMIN.',
    subscribe: ({ args, context }: Args) => LiveSubscriptions.kioskAlerts(context, args as { unitCode?: string | null }),
  })
  async kioskAlerts(
    @Root() event: AlertEvent,
    @Arg('unitCode', () => String, { nullable: true }) _unitCode: string | null,
    @Ctx() ctx: Context,
  ): Promise<KioskAlertType> {
    LiveSubscriptions.freshLoaders(ctx);
    const row = await LiveSubscriptions.alertsOf(ctx).byId(event.alertId);
    return toKioskAlertType(row!);
  }
}
