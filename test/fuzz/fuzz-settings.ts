/**
 * How the fuzzers run: a fixed seed and a bounded number of cases, so that CI is deterministic (as
 * far as a live server's timing allows) and quick. A human runs them longer or elsewhere:
 *
 *   PORTCULLIS_FUZZ_RUNS=5000 node --import tsx --test test/fuzz/h2-frames-fuzz.test.ts
 *   PORTCULLIS_FUZZ_SEED=123 … (a seed printed by a failure replays that run)
 *
 * PORTCULLIS_FUZZ_RUNS multiplies nothing: it is the number of cases of each property.
 */
import fc from 'fast-check';

/** The seed CI uses. */
export const DEFAULT_SEED = 20_261_207;

export interface FuzzParameters {
  readonly seed: number;
  readonly numRuns: number;
}

/** `defaultRuns` cases unless PORTCULLIS_FUZZ_RUNS says otherwise; the seed of PORTCULLIS_FUZZ_SEED or the fixed one. */
export function fuzzParameters(defaultRuns: number): FuzzParameters {
  const runs = Number(process.env.PORTCULLIS_FUZZ_RUNS ?? defaultRuns);
  const seed = Number(process.env.PORTCULLIS_FUZZ_SEED ?? DEFAULT_SEED);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('PORTCULLIS_FUZZ_RUNS must be a positive integer');
  if (!Number.isSafeInteger(seed)) throw new Error('PORTCULLIS_FUZZ_SEED must be an integer');
  return { seed, numRuns: runs };
}

/**
 * Runs the property; on failure the error names the seed (and fast-check's replay path) so the
 * failing run can be replayed with PORTCULLIS_FUZZ_SEED.
 */
export async function fuzz<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => Promise<void>,
  defaultRuns: number,
): Promise<void> {
  const parameters = fuzzParameters(defaultRuns);
  const result = await fc.check(fc.asyncProperty(arbitrary, property), {
    ...parameters,
    // Shrinking replays cases against the live gateway: bounded, so a failure is reported in time.
    endOnFailure: false,
    maxSkipsPerRun: 0,
  });
  if (result.failed) {
    const seen = result.counterexample === null ? '(none)' : fc.stringify(result.counterexample[0]);
    throw new Error(
      `${name}: failed with PORTCULLIS_FUZZ_SEED=${parameters.seed} after ${result.numRuns} case(s) ` +
        `(fast-check path ${result.counterexamplePath ?? '?'}).\nSmallest failing case: ${seen.slice(0, 4_000)}\n` +
        `Cause: ${result.errorInstance instanceof Error ? (result.errorInstance.stack ?? result.errorInstance.message) : String(result.errorInstance)}`,
    );
  }
}
