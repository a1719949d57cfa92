/**
 * The shape every UsageCounters adapter requires of a limit (policy/usage-counters.ts): a count that
 * is a non-negative integer, a window of positive whole seconds (Redis expiries are whole seconds).
 * Limits are validated before they are stored; this is the adapters' last line, not user input.
 */
export function checkLimitShape(kind: 'rate' | 'quota', count: number, seconds: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`a ${kind} limit's count must be a non-negative integer, not ${count}`);
  }
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new RangeError(`a ${kind} limit's window must be a positive whole number of seconds, not ${seconds}`);
  }
}
