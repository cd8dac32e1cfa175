import pino from 'pino';
import { currentRequestId } from '../observability/request-context';

/**
 * The service's logger: pino, one JSON line per event on stderr
 * (`{"level":"info","time":"<ISO>","requestId":"…","msg":"…",…fields}`).
 *
 * - A line written while a request is being served carries its `requestId`
 *   (src/observability/request-context.ts), whoever writes it.
 * - Secrets never reach a line: fields named `authorization`, `token`,
 *   `adminToken`, `cookie` (at the top or up to three levels down, e.g.
 *   `headers.authorization`, `variables.input.token`) read "[Redacted]", and
 *   so does anything in the finished line that looks like a bearer
 *   credential or one of our tokens (`par_a_…`, `par_k_…`), wherever it hides
 *   (a message, an error's text, a nested value).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const SECRET_KEYS = ['authorization', 'Authorization', 'token', 'adminToken', 'cookie', 'x-api-key'];

/** Key paths pino redacts (fast-redact: `*` is one level). */
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_]\w*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `*.*.*${dot}${key}`];
});

/** Credentials in free text: our tokens (src/auth/tokens.ts), and whatever follows "Bearer". */
const SECRET_TEXT = /\bpar_[ak]_[A-Za-z0-9_-]{16,}|(\bBearer\s+)[^\s"\\,;]+/gi;

/** `line` with every credential it holds replaced by "[Redacted]". */
export function scrubSecrets(line: string): string {
  return line.replace(SECRET_TEXT, (_m, bearer: string | undefined) => `${bearer ?? ''}[Redacted]`);
}

export function createLogger(level: Level = 'info', sink?: (line: string) => void): Logger {
  const destination = sink
    ? { write: (s: string) => sink(s.endsWith('\n') ? s.slice(0, -1) : s) }
    // Through process.stderr.write, as before pino: synchronous for files and terminals, and seen by whoever wraps it.
    : { write: (s: string) => process.stderr.write(s) };
  const log = pino({
    level,
    base: undefined,
    messageKey: 'msg',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    hooks: { streamWrite: scrubSecrets },
  }, destination);
  const at = (method: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (fields) log[method](fields, msg);
    else log[method](msg);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
