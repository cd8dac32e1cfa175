import 'reflect-metadata';
import path from 'node:path';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { configDefaults } from '../config/config';
import { entities } from '../entities';
import { PoolGate, type PoolGateOptions } from './pool-gate';

/** The pool's settings; those left out take config.ts's defaults (DB_POOL_SIZE, DB_STATEMENT_TIMEOUT_MS, DB_CONNECT_TIMEOUT_MS). */
export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  applicationName?: string;
}

/** Migrations are compiled alongside the sources: .ts under ts-node/jest, .js under dist. */
const migrationsGlob = path.join(__dirname, '..', '..', 'migrations', `*.${__filename.endsWith('.ts') ? 'ts' : 'js'}`);

export function createDataSource(options: DataSourceOptions): DataSource {
  const defaults = configDefaults();
  const poolSize = options.poolSize ?? defaults.poolSize;
  const statementTimeoutMs = options.statementTimeoutMs ?? defaults.statementTimeoutMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? defaults.connectTimeoutMs;
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities,
    migrations: [migrationsGlob],
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName ?? 'par-index',
    poolSize,
    connectTimeoutMS: connectTimeoutMs,
    extra: {
      // Bounds on a slow or dead database: server-side per statement, and
      // client-side in case the server never answers at all.
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 2000,
      keepAlive: true,
      idle_in_transaction_session_timeout: 60000,
      idleTimeoutMillis: 30000,
    },
  });
}

/**
 * The driver's pg pool, for what TypeORM's query() cannot send: named
 * (prepared) statements, rows as arrays.
 */
export function pgPool(db: DataSource): Pool {
  return (db.driver as unknown as { master: Pool }).master;
}

/**
 * Puts a bounded queue in front of an initialised data source's pool
 * (src/db/pool-gate.ts): a request that waits longer than the bound for a
 * connection is told the service is busy, and the pool's own timeout is
 * left to mean only that a connection could not be opened.
 */
export function gatePool(db: DataSource, options: PoolGateOptions): PoolGate {
  return new PoolGate(pgPool(db), options);
}

/** The TypeORM CLI's data source (migration:generate, the drift check): DATABASE_URL is required. */
const cliUrl = process.env.DATABASE_URL;
export default createDataSource({ url: cliUrl ?? 'postgresql://postgres@127.0.0.1:5432/postgres' });
