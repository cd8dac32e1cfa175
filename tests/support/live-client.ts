import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client over a real WebSocket, and what one subscription receives. */
export interface LiveSubscription {
  events: any[];
  errors: any[];
  /** The next event not taken yet, or a rejection after `ms`. */
  next(ms?: number): Promise<any>;
  /** Settles when the subscription ends with an error (resolves with it) or completes (resolves with null). */
  ended: Promise<any>;
  dispose(): void;
}

export interface LiveClient {
  client: Client;
  /** Close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  subscribe(query: string, variables?: Record<string, unknown>): LiveSubscription;
  dispose(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export function liveClient(httpUrl: string, token: string | null): LiveClient {
  let onClosed: (c: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => { onClosed = resolve; });
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    shouldRetry: () => false,
    on: { closed: (e) => onClosed({ code: (e as { code: number }).code, reason: String((e as { reason?: unknown }).reason ?? '') }) },
    onNonLazyError: () => undefined,
  });
  return {
    client, closed,
    subscribe(query, variables = {}) {
      const events: any[] = [];
      const errors: any[] = [];
      let taken = 0;
      let wake: (() => void) | undefined;
      let end: (v: any) => void = () => undefined;
      const ended = new Promise<any>((resolve) => { end = resolve; });
      const dispose = client.subscribe({ query, variables }, {
        next: (v) => {
          if (v.errors) errors.push(...v.errors);
          if (v.data) events.push(v.data);
          wake?.();
        },
        error: (e) => { if (Array.isArray(e)) errors.push(...e); else errors.push(e); end(e); wake?.(); },
        complete: () => { end(null); wake?.(); },
      });
      return {
        events, errors, ended, dispose,
        async next(ms = 5000) {
          const deadline = Date.now() + ms;
          while (events.length <= taken) {
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`no event within ${ms} ms (errors: ${JSON.stringify(errors)})`);
            await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, Math.min(left, 50)); });
          }
          return events[taken++];
        },
      };
    },
    async dispose() {
      await client.dispose();
    },
  };
}
