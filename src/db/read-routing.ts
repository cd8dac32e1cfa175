import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../config/logger';
import type { Context } from '../context';
import { Role } from '../entities/enums';
import type { SharedRedis } from '../shared-state/redis';
import { NamedQuery } from './named-query';
import { requestScope, type RequestScope } from './pool-gate';
import { isReplicaFault, type Replica, type ReplicaSet } from './replicas';

/** A fence no replica passes: read from the primary. */
const UNKNOWN = 1n << 64n;

/**
 * Where the last writes are, so that no read from a replica misses them.
 *
 * A data-changing mutation (any caller's but a kiosk's: kiosks write all
 * the time, and read only from the primary) marks itself pending before it
 * runs, and on its way out records the primary's WAL position after its
 * commit as the fence. A read goes to a replica only if no write is pending
 * and the replica has replayed past the fence. So a caller reads its own
 * writes on any instance, and so does everyone else: an answer read from a
 * replica after a mutation emptied the response cache never puts the old
 * figures back into it. Between two probes a replica behind the fence
 * is skipped (and probed again within a few ms, see ReplicaSet.pick).
 *
 * In-process for one instance; in the shared Redis (REDIS_URL,
 * src/shared-state) for several, read in one round trip per routed
 * request, bounded by its command timeout. When Redis does not answer, the
 * other instances' writes cannot be known: reads go to the primary until it
 * is back (nothing fails, the primary carries the reads).
 */
export class WriteFences {
  private fence = 0n;
  private readonly pending = new Map<string, number>();
  private redis: SharedRedis | undefined;

  constructor(private readonly pendingMs: number) {}

  /** Several instances: the fences are kept in their shared Redis too. */
  share(redis: SharedRedis | undefined): void {
    this.redis = redis;
  }

  private get keys(): { fence: string; pending: string } {
    const prefix = this.redis?.prefix ?? '';
    return { fence: `${prefix}replica:fence`, pending: `${prefix}replica:pending` };
  }

  /** A mutation starts: until `end`, no read goes to a replica. */
  async begin(): Promise<string> {
    const id = randomUUID();
    const expires = Date.now() + this.pendingMs;
    this.pending.set(id, expires);
    await this.redis?.run((r) => r.zadd(this.keys.pending, expires, id));
    return id;
  }

  /** The mutation is done and `lsn` is at or past its commit; undefined: unknown, it stays pending until it expires. */
  async end(id: string, lsn: bigint | undefined): Promise<void> {
    if (lsn === undefined) return;
    if (lsn > this.fence) this.fence = lsn;
    this.pending.delete(id);
    const { fence, pending } = this.keys;
    await this.redis?.run((r) => r.multi()
      .zadd(fence, 'GT', Number(lsn), 'lsn')
      .zrem(pending, id)
      .zremrangebyscore(pending, '-inf', Date.now())
      .exec());
  }

  /** The WAL position a replica must have replayed to serve a read now; UNKNOWN (never) while a write is pending. */
  async current(): Promise<bigint> {
    const now = Date.now();
    for (const [id, expires] of this.pending) {
      if (expires > now) return UNKNOWN;
      this.pending.delete(id);
    }
    if (!this.redis) return this.fence;
    const { fence, pending: pendingKey } = this.keys;
    const answer = await this.redis.run((r) => r.pipeline().zscore(fence, 'lsn').zcount(pendingKey, `(${now}`, '+inf').exec());
    if (!answer) return UNKNOWN;
    const [[e1, score], [e2, pending]] = answer as [[Error | null, string | null], [Error | null, number]];
    if (e1 || e2) return UNKNOWN;
    if (Number(pending) > 0) return UNKNOWN;
    const shared = score === null ? 0n : BigInt(Math.round(Number(score)));
    return shared > this.fence ? shared : this.fence;
  }

}

type Callback = (err: Error | undefined, client?: PoolClient, release?: (err?: Error | boolean) => void) => void;
type Connect = (cb: Callback) => void;
type QueryFn = (...args: unknown[]) => Promise<unknown>;

const wrappedKey = Symbol('replica-wrapped');
/** The replica each routed request reads from; none: the primary. */
const chosenReplica = new WeakMap<RequestScope, Replica>();

/**
 * The rest of the current request reads from the primary: it has just
 * caused a write it must read (the analysis runs the survey roll-up first).
 */
export function readFromPrimary(): void {
  const scope = requestScope.getStore();
  if (scope) chosenReplica.delete(scope);
}

const inTransactionKey = Symbol('replica-in-transaction');

/** Reads counted by where they went: connections checked out for routed reads, and statements moved to the primary. */
export interface ReadCounts {
  /** Connections of read requests (anonymous, ANALYST queries) given by a replica. */
  replica: number;
  /** Connections of read requests given by the primary (no usable replica, behind a write, pinned). */
  primary: number;
  /** Statements that failed on a replica for the replica's sake and ran again on the primary. */
  movedToPrimary: number;
}

/**
 * Sends anonymous and ANALYST queries to a read replica, and everything
 * else to the primary, at the service's own layer: a replica is chosen per
 * request (`requestScope`), and every connection the request then checks
 * out of the readers' pool comes from that replica's pool, behind the same
 * PoolGate (its wait bound, per-caller cap and accounting are unchanged).
 *
 * TypeORM's `replication` option would choose by statement (SELECT to a
 * slave) with no health, lag or fallback: a dead slave fails reads and
 * even startup. Here a replica is chosen only if it answers its probe, is
 * no further behind than MAX_REPLICA_LAG_MS, and has replayed the last
 * write (WriteFences). A statement that fails on a replica for the
 * replica's sake (connection cut or refused, recovery conflict, a write
 * that belongs on the primary) runs again on the primary unless it was
 * inside a transaction, and the rest of the request reads from the primary.
 * Transactions (START TRANSACTION on a replica connection) stay read-only
 * there by PostgreSQL's own rule; mutations never reach a replica.
 */
export class ReadRouter {
  readonly counts: ReadCounts = { replica: 0, primary: 0, movedToPrimary: 0 };
  private readonly chosen = chosenReplica;
  private readonly reads = new WeakSet<RequestScope>();
  private primaryConnect: Connect | undefined;

  constructor(readonly replicas: ReplicaSet, readonly fences: WriteFences, private readonly logger: Logger) {}

  /** Puts the routing in front of the primary readers' pool; call before the PoolGate wraps it. */
  install(primary: Pool): void {
    const connect = primary.connect.bind(primary) as unknown as Connect;
    this.primaryConnect = connect;
    (primary as unknown as { connect: (cb?: Callback) => unknown }).connect = (cb?: Callback) => {
      if (cb) {
        this.connect(connect, cb);
        return undefined;
      }
      return new Promise<PoolClient>((resolve, reject) => this.connect(connect, (err, client) => (err ? reject(err) : resolve(client!))));
    };
  }

  /** A read request (anonymous or ANALYST query): a replica if one may serve it now. */
  async route(scope: RequestScope): Promise<void> {
    this.reads.add(scope);
    if (!this.replicas.replicas.some((r) => r.usable)) return;
    const replica = this.replicas.pick(await this.fences.current());
    if (replica) this.chosen.set(scope, replica);
  }


  /**
   * The primary's flushed WAL position now, bounded; undefined if it does
   * not answer. A commit returns once its record is flushed (the default
   * synchronous_commit), so this is past every commit already returned.
   */
  writePosition(): Promise<bigint | undefined> {
    return this.replicas.primaryFlushed();
  }

  private connect(primary: Connect, cb: Callback): void {
    const scope = requestScope.getStore();
    const replica = scope ? this.chosen.get(scope) : undefined;
    if (!replica || !replica.usable) {
      if (scope && this.reads.has(scope)) this.counts.primary++;
      primary(cb);
      return;
    }
    const pool = replica.pool;
    pool.connect((err, client, release) => {
      if (err || !client || !release) {
        // Refused or not answering in time: the primary serves, the probe decides the replica's fate.
        replica.probeSoon(() => this.replicas.sample(), 0);
        if (scope) this.chosen.delete(scope);
        this.counts.primary++;
        primary(cb);
        return;
      }
      this.counts.replica++;
      replica.checkedOut(client);
      this.wrapQueries(client);
      (client as unknown as Record<symbol, Replica>)[replicaKey] = replica;
      const done = (e?: Error | boolean) => {
        replica.returned(client);
        (client as unknown as Record<symbol, boolean>)[inTransactionKey] = false;
        release(e);
      };
      cb(undefined, client, done);
    });
  }

  /** Statements on a replica connection: one that fails for the replica's sake outside a transaction runs again on the primary. */
  private wrapQueries(client: PoolClient): void {
    const c = client as unknown as Record<symbol, unknown> & { query: QueryFn };
    if (c[wrappedKey]) return;
    c[wrappedKey] = true;
    const original = client.query.bind(client) as unknown as QueryFn;
    c.query = ((...args: unknown[]) => {
      // A named statement's Query (src/db/named-query.ts) as its config: the primary may have to run it again.
      if (args[0] instanceof NamedQuery) args[0] = args[0].toConfig();
      const first = args[0] as { submit?: unknown; text?: string } | string | undefined;
      if (first && typeof first === 'object' && typeof first.submit === 'function') return original(...args);
      const cbAt = args.findIndex((a) => typeof a === 'function');
      const cb = cbAt >= 0 ? (args[cbAt] as (e: Error | null, r?: unknown) => void) : undefined;
      const callArgs = cbAt >= 0 ? args.slice(0, cbAt) : args;
      const text = typeof first === 'string' ? first : first?.text ?? '';
      const run = this.onReplica(c, original, callArgs, text);
      if (cb) {
        run.then((r) => cb(null, r), (e) => cb(e as Error));
        return undefined;
      }
      return run;
    }) as QueryFn;
  }

  private async onReplica(c: Record<symbol, unknown>, original: QueryFn, args: unknown[], text: string): Promise<unknown> {
    const inTransaction = c[inTransactionKey] === true;
    try {
      const result = await original(...args);
      if (/^\s*(START\s+TRANSACTION|BEGIN)\b/i.test(text)) c[inTransactionKey] = true;
      else if (/^\s*(COMMIT|ROLLBACK|END)\b/i.test(text)) c[inTransactionKey] = false;
      return result;
    } catch (e) {
      if (inTransaction || !isReplicaFault(e)) throw e;
      const replica = c[replicaKey] as Replica | undefined;
      replica?.probeSoon(() => this.replicas.sample(), 0);
      readFromPrimary();
      this.counts.movedToPrimary++;
      this.logger.debug('a statement failed on a read replica; run on the primary', { replica: replica?.name, error: String((e as Error)?.message ?? e) });
      return this.onPrimary(args);
    }
  }

  private onPrimary(args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.primaryConnect!((err, client, release) => {
        if (err || !client || !release) return reject(err ?? new Error('no client'));
        (client.query as unknown as QueryFn)(...args).then(
          (r) => { release(); resolve(r); },
          (e) => { release(); reject(e); },
        );
      });
    });
  }

  /**
   * Chooses the target of each GraphQL request once its operation is known:
   * anonymous and ANALYST queries may read from a replica; a mutation
   * (but a kiosk's) is fenced (WriteFences) from its start until its
   * commit's WAL position is known.
   */
  plugin(): ApolloServerPlugin<Context> {
    return {
      requestDidStart: async () => {
        let write: string | undefined;
        const listener: GraphQLRequestListener<Context> = {
          didResolveOperation: async (rc) => {
            const scope = requestScope.getStore();
            const principal = rc.contextValue.principal;
            const kind = rc.operation?.operation;
            if (kind === 'mutation' && principal?.kind !== 'kiosk') write = await this.fences.begin();
            else if (scope && kind === 'query' && (principal === null || principal.role === Role.ANALYST)) await this.route(scope);
          },
          willSendResponse: async () => {
            if (write === undefined) return;
            const id = write;
            write = undefined;
            await this.fences.end(id, await this.writePosition());
          },
        };
        return listener;
      },
    };
  }

  async stop(): Promise<void> {
    await this.replicas.stop();
  }
}

const replicaKey = Symbol('replica');
