import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startService, type RunningService } from '../../src/bootstrap';
import { loadConfig, type Config } from '../../src/config/config';
import { createLogger } from '../../src/config/logger';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string; [k: string]: unknown } }[];
}

export interface TestService {
  service: RunningService;
  url: string;
  /** A fresh database of its own, built by the real migrations. */
  databaseUrl: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GqlResult<T>>;
  /** Like gql but throws if the answer has errors. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const client = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Starts the real service on a fresh database, on a free port, with a known
 * admin token. `token` defaults to the admin's; pass null for anonymous.
 */
export async function startTestService(overrides: Partial<Config> = {}): Promise<TestService> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!adminUrl) throw new Error('TEST_PG_ADMIN_URL is not set: run through jest (globalSetup)');
  const name = `par_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const defaults = loadConfig({});
  const config: Config = {
    ...defaults,
    port: 0, databaseUrl, adminToken: ADMIN_TOKEN, seedDemo: false, poolSize: 5, shutdownGraceMs: 2000,
    // Database time is not budgeted per caller unless a test says so (tests/integration/hostile-load.test.ts):
    // on a loaded machine a test's own token would otherwise be refused for the machine's slowness.
    callerBudgets: { ...defaults.callerBudgets, dbMsPerSec: 1_000_000, dbSharePercent: 100 },
    // No child process duplicating the listening socket at every start (tests/integration/acceptors.test.ts tests them).
    httpAcceptors: 0,
    ...overrides,
  };
  const service = await startService(config, createLogger(process.env.TEST_LOG_LEVEL as 'debug' | undefined ?? 'error'));
  const pool = new Client({ connectionString: databaseUrl });
  await pool.connect();

  const gql = async (query: string, variables: Record<string, unknown> = {}, token: string | null = ADMIN_TOKEN) => {
    const res = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GqlResult;
    return { status: res.status, data: body.data, errors: body.errors };
  };
  return {
    service, url: service.url, databaseUrl, gql,
    async ok(query, variables, token) {
      const r = await gql(query, variables, token);
      if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors, null, 2)}`);
      return r.data;
    },
    async sql(text, params) {
      return (await pool.query(text, params as unknown[])).rows;
    },
    async stop() {
      await pool.end();
      await service.stop();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
