import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What follows a request through its asynchronous work, in one
 * AsyncLocalStorage: Node 20 runs each storage's hook on every promise and
 * native resource created, so three storages cost three times one on every
 * request, cache hits included. Each part is read and set through its own
 * slot (`slot`), which keeps the others as they are.
 */
export interface AsyncContext {
  /** The HTTP request being served (src/observability/request-context.ts). */
  info?: unknown;
  /** What the request has held of the database (src/db/pool-gate.ts). */
  scope?: unknown;
  /** Who typed the request, for the audit trail (src/audit/audit.ts). */
  actor?: unknown;
}

const storage = new AsyncLocalStorage<AsyncContext>();

/** One part of the context, with AsyncLocalStorage's run, exit and getStore for that part alone. */
export interface ContextSlot<T> {
  /** Runs `fn` with the part set to `value`, the other parts as they are. */
  run<R>(value: T, fn: () => R): R;
  /** Runs `fn` with the part unset, the other parts as they are. */
  exit<R>(fn: () => R): R;
  getStore(): T | undefined;
}

export function slot<T>(key: keyof AsyncContext): ContextSlot<T> {
  const set = <R>(value: T | undefined, fn: () => R): R => {
    const current = storage.getStore();
    if (current === undefined && value === undefined) return fn();
    return storage.run({ ...current, [key]: value }, fn);
  };
  return {
    run: set,
    exit: (fn) => set(undefined, fn),
    getStore: () => storage.getStore()?.[key] as T | undefined,
  };
}
