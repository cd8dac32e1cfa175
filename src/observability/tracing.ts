import type http from 'node:http';
import type { Logger } from '../config/logger';

/**
 * Optional OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set. Off, nothing of OpenTelemetry is loaded (the packages are
 * optionalDependencies, required here lazily) and a request pays one
 * property check.
 *
 * On, each HTTP request is a SERVER span (continuing the caller's trace from
 * its `traceparent` header), named by its route and, for GraphQL, its
 * operation, with the request id as an attribute; the PostgreSQL statements
 * it runs are its children (@opentelemetry/instrumentation-pg). Spans leave
 * in batches over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`, in the
 * background: an endpoint that is down or unreachable loses spans, never
 * fails or slows a request. The other OTEL_* variables (headers, batch
 * sizes, timeouts) are read by the SDK itself.
 *
 * The tracer provider is global to the process: the first service started
 * with an endpoint sets it up, later ones share it.
 */

/** The few OpenTelemetry API shapes used here (the package may be absent at compile time). */
interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  updateName(name: string): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}
interface OtelApi {
  trace: {
    getTracer(name: string): { startSpan(name: string, options: object, context: unknown): OtelSpan };
    setSpan(context: unknown, span: OtelSpan): unknown;
    disable(): void;
  };
  context: { active(): unknown; with<T>(context: unknown, fn: () => T): T; disable(): void };
  propagation: { extract(context: unknown, carrier: unknown): unknown; disable(): void };
}

export interface RequestSpan {
  span: OtelSpan;
  /** Runs `fn` with the span as the active context (statements become its children). */
  run<T>(fn: () => T): T;
}

export interface Tracing {
  readonly enabled: boolean;
  /** A SERVER span for the request; undefined when tracing is off. */
  startRequest(req: http.IncomingMessage, route: string, requestId: string): RequestSpan | undefined;
  /** Sends the spans still buffered (tests, shutdown). */
  flush(): Promise<void>;
  /** Flushes, stops the provider and unregisters the process-wide tracing (tests; the end of the process). */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, startRequest: () => undefined, flush: async () => undefined, shutdown: async () => undefined };

const SPAN_KIND_SERVER = 1;
const STATUS_ERROR = 2;

let shared: Tracing | undefined;
let loaded = false;

/** Whether any OpenTelemetry package was loaded in this process (it must not be while tracing is off). */
export function tracingLoaded(): boolean {
  return loaded;
}

/** The process's tracing as started (off until a service starts it with an endpoint). */
export function sharedTracing(): Tracing {
  return shared ?? OFF;
}

/** The OTLP/HTTP traces URL of a base endpoint (`http://collector:4318` → `http://collector:4318/v1/traces`). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

export function startTracing(options: { endpoint: string | undefined; serviceName: string }, logger: Logger): Tracing {
  if (!options.endpoint) return OFF;
  if (shared) return shared;
  try {
    loaded = true;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const api = require('@opentelemetry/api') as OtelApi;
    const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = require('@opentelemetry/resources');
    const { registerInstrumentations } = require('@opentelemetry/instrumentation');
    const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg');
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }))],
    });
    // The global provider, AsyncLocalStorage context and W3C trace-context propagation.
    provider.register();
    const instrumentations: () => void = registerInstrumentations({ tracerProvider: provider, instrumentations: [new PgInstrumentation({ requireParentSpan: true })] });
    // pg was loaded before tracing started: requiring it again lets the instrumentation patch it in place.
    require('pg');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const tracer = api.trace.getTracer('par-index');
    logger.info('tracing on: spans go over OTLP/HTTP', { url: tracesUrl(options.endpoint) });
    shared = {
      enabled: true,
      startRequest(req, route, requestId) {
        const parent = api.propagation.extract(api.context.active(), req.headers);
        const path = (req.url ?? '/').split('?')[0];
        const span = tracer.startSpan(`${req.method ?? 'GET'} ${route === 'graphql' || route === 'metrics' ? path : route}`, {
          kind: SPAN_KIND_SERVER,
          attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path, 'par.request_id': requestId, 'par.route': route },
        }, parent);
        const active = api.trace.setSpan(parent, span);
        return { span, run: (fn) => api.context.with(active, fn) };
      },
      flush: () => provider.forceFlush(),
      async shutdown() {
        shared = undefined;
        await provider.shutdown().catch(() => undefined);
        instrumentations();
        api.trace.disable();
        api.context.disable();
        api.propagation.disable();
      },
    };
    return shared;
  } catch (e) {
    logger.warn('tracing stays off: the OpenTelemetry packages could not be loaded (npm install --include=optional)', { error: String(e) });
    shared = OFF;
    return OFF;
  }
}

/** Ends a request's span with what happened. */
export function endRequestSpan(handle: RequestSpan, method: string, status: number, operation: string | undefined, outcome: string | undefined): void {
  const { span } = handle;
  span.setAttribute('http.response.status_code', status);
  if (operation) {
    span.setAttribute('graphql.operation', operation);
    span.updateName(`${method} /graphql ${operation}`);
  }
  if (outcome) span.setAttribute('par.outcome', outcome);
  if (status >= 500 || status === 0) span.setStatus({ code: STATUS_ERROR, message: outcome });
  span.end();
}
