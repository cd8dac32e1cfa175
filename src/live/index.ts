import type http from 'node:http';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import type { QueryLimits } from '../protection/limits';
import type { Services } from '../services';
import { AlertService } from './alerts/alert.service';
import { AlertDetector } from './alerts/detector';
import { createBus } from './bus';
import type { LiveConfig } from './config';
import { LiveHub, topics, type AlertEvent } from './hub';
import { LiveSubscriptions } from './subscriptions';
import { attachLiveServer, type LiveServer } from './ws-server';

/** Live data and kiosk alerts (issue 17): what bootstrap starts and app.ts attaches to its HTTP server. */
export interface Live {
  hub: LiveHub;
  alerts: AlertService;
  detector: AlertDetector;
  subscriptions: LiveSubscriptions;
  /** Subscriptions over WebSocket at /graphql on `server`, with the schema Apollo serves. */
  attach(deps: { server: http.Server; schema: GraphQLSchema; queryLimits: QueryLimits; formatError: (f: GraphQLFormattedError, e: unknown) => GraphQLFormattedError }): LiveServer;
  start(): Promise<void>;
  /** After the HTTP server closed (its sockets with it): background work, Redis, the listener. */
  stop(): Promise<void>;
}

/**
 * `db` is the work pool (the roll-up's, the detector's); `databaseUrl` the
 * primary the results listener LISTENs on.
 */
export function createLive(deps: { db: DataSource; databaseUrl: string | undefined; config: LiveConfig; logger: Logger; services: Services }): Live {
  const { db, config, logger, services } = deps;
  const hub = new LiveHub(createBus(config.redisUrl, config.redisTimeoutMs, logger), db, deps.databaseUrl, config, logger);
  hub.attachRoller(services.tallies);
  const alerts = new AlertService(db, services.tallies, logger, (year, kind, unitId) => {
    // Quarantine and release move the tallies: the year is recomputed, satisfaction subscribers told.
    services.recompute.markDirty(year, kind);
    hub.unitsChanged(year, [unitId]);
  });
  const detector = new AlertDetector(db, logger, config.alerts, config.alertIntervalMs, (alertId, unitId) => {
    const event: AlertEvent = { alertId, unitId };
    // A publish that fails (Redis gone, a subscriber throwing) loses this one event, logged, not the process.
    hub.shared.publish(topics.alerts, event).catch((e: unknown) =>
      logger.warn('an alert event was not published', { alertId, error: String((e as Error)?.message ?? e) }));
  });
  const subscriptions = new LiveSubscriptions(services, hub, alerts);
  return {
    hub, alerts, detector, subscriptions,
    attach: ({ server, schema, queryLimits, formatError }) => attachLiveServer({
      server, schema, services, hub, subscriptions, config, queryLimits, logger, formatError,
    }),
    async start() {
      await hub.start();
      detector.start();
    },
    async stop() {
      await detector.stop();
      await hub.stop();
    },
  };
}
