import type { PubSub } from 'type-graphql';
import { canSeeProvisional, type Principal } from '../auth/principal';
import { createLoaders, type Context } from '../context';
import { Role, UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import type { Services } from '../services';
import { requireYear } from '../util/validate';
import type { AlertService } from './alerts/alert.service';
import type { EventBus } from './bus';
import { topics, type AlertEvent, type LiveHub, type ResultsEvent, type SatisfactionEvent } from './hub';

/** On a WebSocket operation's context: the live services and this connection's handle. */
export const liveKey = Symbol('live');

export interface LiveConnection {
  /** Closes the connection: a slow consumer. */
  drop(reason: string): void;
}

export interface LiveContext { subscriptions: LiveSubscriptions; connection: LiveConnection }

/**
 * type-graphql wants a PubSub to build subscriptions; ours each subscribe
 * themselves (`subscribe:` in src/resolvers/live.resolver.ts) to the hub's
 * buses, so this one is never used.
 */
export const livePubSub: PubSub = {
  publish() { throw new Error('live events are published through the LiveHub (src/live/hub.ts)'); },
  subscribe() { throw new Error('live subscriptions subscribe through LiveSubscriptions (src/live/subscriptions.ts)'); },
};

/** Events waiting for a slow subscriber, at most: beyond, its connection is dropped, never buffered without end. */
const MAX_QUEUED = 100;

/**
 * One subscription's events: pushed by the bus, pulled by graphql-ws. A
 * consumer that falls MAX_QUEUED events behind is dropped.
 */
class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private done = false;
  unsubscribe: (() => void) | undefined;

  constructor(private readonly onOverflow: () => void, private readonly accept: (event: T) => boolean = () => true) {}

  push(event: T): void {
    if (this.done || !this.accept(event)) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: event, done: false });
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.onOverflow();
      void this.return();
      return;
    }
    this.queue.push(event);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.queue.length = 0;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

function liveOf(ctx: Context): LiveContext {
  const live = (ctx as unknown as Record<symbol, LiveContext | undefined>)[liveKey];
  if (!live) throw invalid('subscription', 'Subscriptions are served over WebSocket at /graphql (graphql-ws protocol), not over HTTP');
  return live;
}

function requireRoles(principal: Principal | null, field: string, roles: Role[]): Principal {
  if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, `${field} needs a bearer token with one of the roles ${roles.join(', ')}`);
  if (!roles.includes(principal.role)) throw new AppError(ErrorCode.FORBIDDEN, `${field} is allowed to ${roles.join(', ')}, not to ${principal.role}`);
  return principal;
}

/**
 * The subscribe side of the three subscriptions: arguments and roles checked
 * as the queries check them (kiosks are refused before, in ws-server.ts),
 * then the bus topic as a bounded queue.
 */
export class LiveSubscriptions {
  constructor(
    private readonly services: Services,
    private readonly hub: LiveHub,
    readonly alerts: AlertService,
  ) {}

  private async queue<T>(ctx: Context, bus: EventBus, topic: string, accept?: (e: T) => boolean): Promise<AsyncIterableIterator<T>> {
    const { connection } = liveOf(ctx);
    const q = new EventQueue<T>(() => connection.drop('slow consumer: events were not read in time'), accept);
    q.unsubscribe = await bus.subscribe(topic, (payload) => q.push(payload as T));
    return q;
  }

  static satisfaction(ctx: Context, args: { year: number; unitCode: string }) {
    return liveOf(ctx).subscriptions.subscribeSatisfaction(ctx, args);
  }

  static results(ctx: Context, args: { year: number; unitKind: UnitKind }) {
    return liveOf(ctx).subscriptions.subscribeResults(ctx, args);
  }

  static kioskAlerts(ctx: Context, args: { unitCode?: string | null }) {
    return liveOf(ctx).subscriptions.subscribeAlerts(ctx, args);
  }

  async subscribeSatisfaction(ctx: Context, args: { year: number; unitCode: string }): Promise<AsyncIterableIterator<SatisfactionEvent>> {
    // The same checks as satisfaction(year, unitCode): NOT_FOUND, BAD_USER_INPUT; null: the caller may not see it.
    const scope = await this.services.satisfaction.scope(ctx.principal, { year: args.year, unitCode: args.unitCode });
    if (scope === null || scope.unitId === null) {
      // What the caller may not see reads as absent: a subscription that never sends.
      return this.queue<SatisfactionEvent>(ctx, this.hub.local, 'live.nothing');
    }
    return this.queue<SatisfactionEvent>(ctx, this.hub.shared, topics.satisfaction(scope.year, scope.unitId));
  }

  async subscribeResults(ctx: Context, args: { year: number; unitKind: UnitKind }): Promise<AsyncIterableIterator<ResultsEvent>> {
    const principal = requireRoles(ctx.principal, 'resultsChanged', [Role.ADMIN, Role.APPRAISER, Role.ANALYST]);
    if (!canSeeProvisional(principal)) throw new AppError(ErrorCode.FORBIDDEN, 'resultsChanged is for roles that may see provisional results');
    const year = requireYear('year', args.year);
    return this.queue<ResultsEvent>(ctx, this.hub.local, topics.results(year, args.unitKind));
  }

  async subscribeAlerts(ctx: Context, args: { unitCode?: string | null }): Promise<AsyncIterableIterator<AlertEvent>> {
    requireRoles(ctx.principal, 'kioskAlerts', [Role.ADMIN]);
    const unitId = args.unitCode != null ? await this.alerts.unitIdOf(args.unitCode) : null;
    return this.queue<AlertEvent>(ctx, this.hub.shared, topics.alerts, (e) => unitId === null || e.unitId === unitId);
  }

  static alertsOf(ctx: Context): AlertService {
    return liveOf(ctx).subscriptions.alerts;
  }

  /** Each event of a subscription reads afresh: a subscription's context lives as long as it does. */
  static freshLoaders(ctx: Context): void {
    ctx.loaders = createLoaders(liveOf(ctx).subscriptions.services);
  }
}
