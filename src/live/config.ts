import { ConfigError } from '../config/config';

type Env = Record<string, string | undefined>;

/** Thresholds of the four kiosk alert rules (DOMAIN.md, "Kiosk alerts"). */
export interface AlertRulesConfig {
  /** BURST: more than `burstResponses` responses of one kiosk within `burstWindowSeconds`. */
  burstResponses: number;
  burstWindowSeconds: number;
  /** STREAK: this many or more consecutive responses of one kiosk with identical answers. */
  streakResponses: number;
  /** OFF_HOURS: stamped outside [officeStartMinute, officeEndMinute) of a working day, Vietnam time (minutes after midnight). */
  officeStartMinute: number;
  officeEndMinute: number;
  /** Working days, 0 = Sunday … 6 = Saturday. */
  officeDays: number[];
  /** CLOCK_SKEW: an online response stamped more than this many minutes from its arrival. */
  clockSkewMinutes: number;
}

export interface LiveConfig {
  /** Redis for the subscriptions' PubSub across instances; undefined: in-process. */
  redisUrl: string | undefined;
  redisTimeoutMs: number;
  maxConnections: number;
  maxSubscriptionsPerConnection: number;
  maxSubscriptions: number;
  /** A ping this often; a connection that has not answered the previous one is closed. */
  heartbeatMs: number;
  /** A connection with more than this waiting to be sent is a slow consumer: closed, not buffered for. */
  maxBufferedBytes: number;
  /** Responses rolled up within this window make one satisfactionChanged message per unit. */
  coalesceMs: number;
  /** How often the alert detector looks at newly stored responses. */
  alertIntervalMs: number;
  alerts: AlertRulesConfig;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${value}`);
  return value;
}

function clock(env: Env, name: string, fallback: string): number {
  const raw = env[name]?.trim() || fallback;
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(raw);
  if (!m || Number(m[1]) * 60 + Number(m[2]) > 24 * 60) throw new ConfigError(`${name} must be a time HH:MM from 00:00 to 24:00, got "${raw}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function days(env: Env, name: string, fallback: string): number[] {
  const raw = env[name]?.trim() || fallback;
  const out = raw.split(',').map((d) => DAY_NAMES.indexOf(d.trim().toUpperCase()));
  if (out.some((d) => d < 0)) throw new ConfigError(`${name} must be a comma-separated list of ${DAY_NAMES.join(', ')}, got "${raw}"`);
  return [...new Set(out)].sort();
}

function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try { url = new URL(raw); } catch { throw new ConfigError(`REDIS_URL must be a redis:// URL such as redis://127.0.0.1:6379, got "${raw}"`); }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, got "${raw}"`);
  return raw;
}

export function loadLiveConfig(env: Env): LiveConfig {
  const officeStartMinute = clock(env, 'ALERT_OFFICE_START', '07:00');
  const officeEndMinute = clock(env, 'ALERT_OFFICE_END', '17:30');
  if (officeEndMinute <= officeStartMinute) throw new ConfigError('ALERT_OFFICE_END must be after ALERT_OFFICE_START');
  return {
    redisUrl: redisUrl(env),
    redisTimeoutMs: integer(env, 'REDIS_TIMEOUT_MS', 2000, 100, 60000),
    maxConnections: integer(env, 'LIVE_MAX_CONNECTIONS', 5000, 0, 1_000_000),
    maxSubscriptionsPerConnection: integer(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 10000),
    maxSubscriptions: integer(env, 'LIVE_MAX_SUBSCRIPTIONS', 20000, 1, 10_000_000),
    heartbeatMs: integer(env, 'LIVE_HEARTBEAT_MS', 30000, 100, 3_600_000),
    maxBufferedBytes: integer(env, 'LIVE_MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    coalesceMs: integer(env, 'LIVE_COALESCE_MS', 250, 0, 4000),
    alertIntervalMs: integer(env, 'ALERT_INTERVAL_MS', 2000, 50, 3_600_000),
    alerts: {
      burstResponses: integer(env, 'ALERT_BURST_RESPONSES', 12, 1, 1_000_000),
      burstWindowSeconds: integer(env, 'ALERT_BURST_WINDOW_SECONDS', 60, 1, 86400),
      streakResponses: integer(env, 'ALERT_STREAK_RESPONSES', 30, 2, 1_000_000),
      officeStartMinute,
      officeEndMinute,
      officeDays: days(env, 'ALERT_OFFICE_DAYS', 'MON,TUE,WED,THU,FRI,SAT'),
      clockSkewMinutes: integer(env, 'ALERT_CLOCK_SKEW_MINUTES', 10, 1, 100000),
    },
  };
}
