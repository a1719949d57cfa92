/**
 * How long to wait before retrying something that failed (a snapshot rebuild, a store check):
 * doubling from `baseMs` with each failure, never more than `maxMs`, with "equal jitter" — half the
 * delay fixed, half random — so the gateways of a cluster that failed together (the shared store
 * went away) do not all come back to it in the same millisecond, and none waits less than half.
 */
export function retryDelayMs(
  failures: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30); // 2 ** 30 × base is far past any max
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
