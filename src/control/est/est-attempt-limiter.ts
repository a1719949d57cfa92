/**
 * EstAttemptLimiter: bounds EST enroll attempts (config/est-limits.ts) in the gateway's usage
 * counters (policy/usage-counters.ts; Redis in a cluster, so every gateway counts together).
 *
 * Every attempt counts against its address's rate. Failures are counted only once they happened
 * (refused credentials), but checked before the credentials are: a guesser who has used up the
 * failures of an address, or of a secret id, is answered 429 without the secret being compared at
 * all, so a right guess after the limit gains nothing. Counters that do not answer refuse (503):
 * a limit that switches off when Redis is down is one an attacker can switch off.
 */
import { GW_ERR_EST_RATE_LIMITED, GW_ERR_LIMITS_UNAVAILABLE } from '../../errors/index.ts';
import type { CountPerWindow, EstLimits } from '../../config/est-limits.ts';
import type { Quota } from '../../model/records.ts';
import type { UsageCounters } from '../../policy/usage-counters.ts';
import type { EstResult } from '../../runtime-config/est-endpoint.ts';

/** The counters' names; quota-shaped counters give the check-without-counting the failures need. */
const ATTEMPTS = 'est-attempts:address:';
const ADDRESS_FAILURES = 'est-failures:address:';
const SECRET_FAILURES = 'est-failures:secret:';

export type Admission =
  | { readonly admitted: false; readonly refusal: EstResult }
  | {
      readonly admitted: true;
      /** Counts one failed authentication of this attempt (never rejects: a counter fault is logged by its adapter). */
      failed(): Promise<void>;
    };

function quotaOf(limit: CountPerWindow): Quota {
  return { max: limit.count, renewalRate: limit.seconds };
}

export class EstAttemptLimiter {
  readonly #counters: UsageCounters;
  readonly #limits: EstLimits;

  constructor(counters: UsageCounters, limits: EstLimits) {
    this.#counters = counters;
    this.#limits = limits;
  }

  /** Counts the attempt; a refusal (429 + Retry-After, or 503) when a limit is reached or cannot be checked. */
  async admit(address: string, secretId: string | undefined): Promise<Admission> {
    const limits = this.#limits;
    const addressFailures = quotaOf(limits.failuresPerAddress);
    const secretFailures = quotaOf(limits.failuresPerSecret);
    try {
      const rate = await this.#counters.consumeRate(`${ATTEMPTS}${address}`, {
        rate: limits.attemptsPerAddress.count,
        per: limits.attemptsPerAddress.seconds,
      });
      if (!rate.allowed) return limited('from this address', Math.ceil(rate.resetMs / 1000));
      if ((await this.#counters.quotaRemaining(`${ADDRESS_FAILURES}${address}`, addressFailures)) <= 0) {
        return limited('with refused credentials from this address', limits.failuresPerAddress.seconds);
      }
      if (
        secretId !== undefined &&
        (await this.#counters.quotaRemaining(`${SECRET_FAILURES}${secretId}`, secretFailures)) <= 0
      ) {
        return limited('with refused credentials for this bootstrap secret', limits.failuresPerSecret.seconds);
      }
    } catch {
      return { admitted: false, refusal: { error: GW_ERR_LIMITS_UNAVAILABLE.create(), headers: RETRY_SOON } };
    }
    return {
      admitted: true,
      failed: async () => {
        await Promise.all([
          this.#counters.consumeQuota(`${ADDRESS_FAILURES}${address}`, addressFailures),
          ...(secretId === undefined
            ? []
            : [this.#counters.consumeQuota(`${SECRET_FAILURES}${secretId}`, secretFailures)]),
        ]).catch(() => undefined);
      },
    };
  }
}

const RETRY_SOON = { 'retry-after': '5' };

/** RFC 6585 §4: 429 with Retry-After (RFC 9110 §10.2.3), at least a second. */
function limited(what: string, retryAfterSeconds: number): Admission {
  return {
    admitted: false,
    refusal: {
      error: GW_ERR_EST_RATE_LIMITED.create(what),
      headers: { 'retry-after': String(Math.max(1, retryAfterSeconds)) },
    },
  };
}
