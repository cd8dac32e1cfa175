import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../config/logger';

/**
 * Connection options for a client whose commands must never hold a request:
 * bounded connect and command timeouts, no offline queue (a command fails at
 * once while Redis is away), one retry, reconnection with backoff. The live
 * bus (src/live/bus.ts) uses the same.
 */
export function boundedRedisOptions(timeoutMs: number): RedisOptions {
  return {
    connectTimeout: Math.max(timeoutMs, 1000),
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(5000, 100 * 2 ** Math.min(times, 6)),
    lazyConnect: false,
  };
}

/** After a failed or timed-out command, Redis is left alone this long: requests go in-process meanwhile. */
const BREAK_MS = 1000;
/** While Redis is away, how often an idle instance looks whether it is back (to settle what it owes). */
const PROBE_MS = 1000;

/**
 * The Redis this instance shares its state with (src/shared-state): a
 * command client and a subscriber, every key and channel under one prefix.
 *
 * `run` never throws and never waits longer than the command timeout: it
 * answers undefined while Redis is down, slow (a timed-out command keeps
 * Redis out of use for BREAK_MS) or refusing, and the caller falls back to
 * its in-process behaviour. Coming back, the `onBack` listeners run first
 * (e.g. drop what may have missed an invalidation), before any command of
 * a caller.
 */
export class SharedRedis {
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, ((message: string) => void)[]>();
  private readonly backListeners: (() => Promise<void>)[] = [];
  private brokenUntil = 0;
  /** Redis was away (or a message may have been missed) since the last successful command: recover before the next. */
  private lost = true;
  private recovering: Promise<boolean> | undefined;
  private closed = false;
  private readonly probe: NodeJS.Timeout;

  constructor(url: string, readonly prefix: string, readonly timeoutMs: number, private readonly logger: Logger) {
    this.client = new Redis(url, boundedRedisOptions(timeoutMs));
    // The subscriber queues its SUBSCRIBEs until connected and subscribes again after a reconnection.
    this.subscriber = new Redis(url, { ...boundedRedisOptions(timeoutMs), enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
    let warned = 0;
    for (const [name, client] of [['commands', this.client], ['subscriber', this.subscriber]] as const) {
      client.on('error', (e) => {
        // One line per few seconds, not one per reconnection attempt.
        if (Date.now() - warned < 5000) return;
        warned = Date.now();
        this.logger.warn('redis (shared state) failed; this instance works in-process until it is back', { client: name, error: String(e?.message ?? e) });
      });
    }
    // Messages published while the subscriber was away are lost: what they said is recovered on the way back.
    this.subscriber.on('close', () => { this.lost = true; });
    this.client.on('close', () => { this.lost = true; });
    // An instance that made a change while Redis was away tells it as soon as Redis is back, requests or not.
    this.probe = setInterval(() => { if (this.lost && this.available) void this.run((c) => c.ping()); }, PROBE_MS);
    this.probe.unref();
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) {
        try { handler(message); } catch (e) { this.logger.warn('a shared-state message failed', { channel, error: String(e) }); }
      }
    });
  }

  /** Whether a command may be sent now (connected, and not failing lately). */
  get available(): boolean {
    return !this.closed && this.client.status === 'ready' && Date.now() >= this.brokenUntil;
  }

  /** The command's answer, or undefined when Redis cannot answer in time (never throws). */
  async run<T>(command: (client: Redis) => Promise<T>): Promise<T | undefined> {
    if (!this.available) {
      this.lost = true;
      return undefined;
    }
    if (this.lost && !(await this.recover())) return undefined;
    try {
      return await command(this.client);
    } catch (e) {
      this.failed(e);
      return undefined;
    }
  }

  /** Keeps Redis out of use for a while and recovers before its next use. */
  failed(e: unknown): void {
    this.lost = true;
    this.brokenUntil = Date.now() + BREAK_MS;
    this.logger.debug('a shared-state redis command failed', { error: String((e as Error)?.message ?? e) });
  }

  private recover(): Promise<boolean> {
    this.recovering ??= (async () => {
      try {
        for (const listener of this.backListeners) await listener();
        this.lost = false;
        return true;
      } catch (e) {
        this.failed(e);
        return false;
      } finally {
        this.recovering = undefined;
      }
    })();
    return this.recovering;
  }

  /** `listener` runs when Redis is used again after being away (and at the first use), before anything else is sent. */
  onBack(listener: () => Promise<void>): void {
    this.backListeners.push(listener);
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** `handler` for every message on the (prefixed) channel, from every instance, this one included. */
  subscribe(channel: string, handler: (message: string) => void): void {
    const full = this.key(channel);
    const list = this.handlers.get(full) ?? [];
    if (list.length === 0) this.subscriber.subscribe(full).catch((e) => this.logger.warn('redis subscribe failed', { channel: full, error: String(e) }));
    list.push(handler);
    this.handlers.set(full, list);
  }

  /** Publishes on the (prefixed) channel; false when Redis did not take it. */
  async publish(channel: string, message: string): Promise<boolean> {
    return (await this.run((c) => c.publish(this.key(channel), message))) !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    this.client.disconnect();
    this.subscriber.disconnect();
  }
}
