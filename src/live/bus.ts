import { EventEmitter } from 'node:events';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../config/logger';
import { boundedRedisOptions } from '../shared-state/redis';

/**
 * Where live events travel. In-process for one instance; over Redis
 * (graphql-redis-subscriptions on ioredis) when REDIS_URL is set, so that a
 * subscriber on any instance hears events published by every instance.
 *
 * Publishing never throws and never waits long: a dead Redis loses the
 * event (logged), it never fails or hangs the roll-up or a request.
 */
export interface EventBus {
  publish(topic: string, payload: unknown): Promise<void>;
  /** `onMessage` for every event on `topic` until the returned function is called. */
  subscribe(topic: string, onMessage: (payload: unknown) => void): Promise<() => void>;
  close(): Promise<void>;
}

export class LocalBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    this.emitter.emit(topic, payload);
  }

  async subscribe(topic: string, onMessage: (payload: unknown) => void): Promise<() => void> {
    this.emitter.on(topic, onMessage);
    return () => this.emitter.off(topic, onMessage);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export class RedisBus implements EventBus {
  private readonly pubsub: RedisPubSub;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  constructor(url: string, private readonly timeoutMs: number, private readonly logger: Logger) {
    // A command waits for no reconnection: it fails at once while Redis is away (the shared state's options).
    const options: RedisOptions = boundedRedisOptions(timeoutMs);
    this.publisher = new Redis(url, options);
    // The subscriber must queue its SUBSCRIBE until connected (and resubscribe after a reconnection).
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
    for (const [name, client] of [['publisher', this.publisher], ['subscriber', this.subscriber]] as const) {
      client.on('error', (e) => this.logger.warn('redis (live data) failed; events are lost until it is back', { client: name, error: String(e?.message ?? e) }));
    }
    this.pubsub = new RedisPubSub({ publisher: this.publisher, subscriber: this.subscriber });
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    try {
      await this.pubsub.publish(topic, payload);
    } catch (e) {
      this.logger.warn('a live event was not published: redis failed', { topic, error: String((e as Error)?.message ?? e) });
    }
  }

  async subscribe(topic: string, onMessage: (payload: unknown) => void): Promise<() => void> {
    const id = await withTimeout(this.pubsub.subscribe(topic, onMessage), this.timeoutMs, 'redis subscribe');
    return () => this.pubsub.unsubscribe(id);
  }

  async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export function createBus(redisUrl: string | undefined, timeoutMs: number, logger: Logger): EventBus {
  return redisUrl ? new RedisBus(redisUrl, timeoutMs, logger) : new LocalBus();
}
