/**
 * EST in `portcullis serve` (docs/adr/0016): connects the enrollment service to the data plane's
 * EstEndpoint, and runs the revoker of replaced certificates once a second (after the listeners are
 * up: nothing runs in the background before). A failed round is logged and retried the next second.
 */
import type { Logger } from 'pino';
import type { ControlServices } from '../control/build-services.ts';
import { EstEnrollmentService } from '../control/est/est-enrollment-service.ts';
import { ReplacedCertificateRevoker } from '../control/est/replaced-certificate-revoker.ts';
import { EstAttemptLimiter } from '../control/est/est-attempt-limiter.ts';
import { DEFAULT_EST_LIMITS, type EstLimits } from '../config/est-limits.ts';
import type { UsageCounters } from '../policy/usage-counters.ts';
import type { EstEndpoint } from '../runtime-config/est-endpoint.ts';
import type { OcspStatusSource } from '../runtime-config/uploaded-ca-revocation.ts';
import type { Store } from '../store/ports.ts';

/** How often replaced certificates whose grace period ended are looked for: one indexed query. */
const REVOKE_DUE_EVERY_MS = 1_000;

export interface EstOptions {
  services: ControlServices;
  store: Store;
  endpoint: EstEndpoint;
  publicUrl: () => string;
  announce: () => Promise<void>;
  logger: Logger;
  /** OCSP for bootstrap certificates whose manufacturer CA turns it on (docs/adr/0014). */
  ocsp?: OcspStatusSource;
  /** Where enroll attempts are counted (the gateway's usage counters), and their limits. */
  counters: UsageCounters;
  limits?: EstLimits | undefined;
}

export interface RunningEst {
  start(): void;
  stop(): Promise<void>;
}

export function startEst(options: EstOptions): RunningEst {
  const { services, store, logger } = options;
  const enrollment = new EstEnrollmentService({
    store,
    managedCas: services.managedCas,
    publisher: services.publicPkiPublisher,
    publicUrl: options.publicUrl,
    announce: options.announce,
    ...(options.ocsp === undefined ? {} : { ocsp: options.ocsp }),
    limiter: new EstAttemptLimiter(options.counters, options.limits ?? DEFAULT_EST_LIMITS),
  });
  options.endpoint.connect((request) => enrollment.handle(request));
  const revoker = new ReplacedCertificateRevoker({
    store,
    managedCas: services.managedCas,
    publisher: services.publicPkiPublisher,
    announce: options.announce,
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  // One round at a time: a slow store skips ticks rather than piling rounds up.
  const round = (): void => {
    if (running !== undefined) return;
    running = revoker
      .revokeDue()
      .then(
        (count) => {
          if (count > 0) logger.info({ count }, 'revoked certificates replaced by re-enrollment');
        },
        (error: unknown) => logger.error({ err: (error as Error).message }, 'revoking replaced certificates failed'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      timer = setInterval(round, REVOKE_DUE_EVERY_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
