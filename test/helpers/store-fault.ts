/**
 * A fault in front of one method of the real store, switched on by the test: the next calls of that
 * method reject as a failing database would, then it answers again. Everything else (and the
 * method itself when healed) goes to the real store, so the gateway runs on real data throughout.
 */
import type { Store } from '../../src/store/ports.ts';

export interface StoreFault {
  /** For startGateway's `wrapStore` seam. */
  readonly wrapStore: (store: Store) => Store;
  /** The next `count` calls reject (`Infinity`: until `heal`). */
  fail(count: number): void;
  heal(): void;
  /** Calls that were made to fail so far. */
  readonly failures: number;
}

export function storeFault(method: keyof Store): StoreFault {
  let remaining = 0;
  let failures = 0;
  return {
    wrapStore: (store) =>
      new Proxy(store, {
        get(target, property) {
          const value: unknown = Reflect.get(target, property, target);
          if (typeof value !== 'function') return value;
          if (property !== method) return value.bind(target);
          return (...args: unknown[]) => {
            if (remaining > 0) {
              remaining -= 1;
              failures += 1;
              return Promise.reject(new Error(`injected store fault in ${method}`));
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
    fail(count) {
      remaining = count;
    },
    heal() {
      remaining = 0;
    },
    get failures() {
      return failures;
    },
  };
}
