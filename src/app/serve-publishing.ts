/**
 * How configuration reaches the data plane in `portcullis serve`: the snapshot publisher (store →
 * compiled snapshot), the change feed (changes of other gateways sharing the store, retried until
 * applied: ADR 0010) and the Redis hints that make it immediate in a cluster (ADR 0003).
 */
import type { Logger } from 'pino';
import type { ServeOptions } from '../config/serve-options.ts';
import type { GatewayConfig } from '../config/load-gateway-config.ts';
import type { Store } from '../store/ports.ts';
import type { OpenCounters } from '../store/counters/open-counters.ts';
import { GatewayPublisher } from '../control/publish/gateway-publisher.ts';
import { ConfigChangeFeed } from '../control/publish/config-change-feed.ts';
import type { SnapshotHolder } from '../runtime-config/gateway-snapshot.ts';
import type { ControlPlane } from './serve-control-plane.ts';

export interface Publishing {
  readonly gatewayPublisher: GatewayPublisher;
  readonly changeFeed: ConfigChangeFeed;
  readonly snapshots: SnapshotHolder;
  /**
   * After a successful write: tell the other processes, and compile it here before answering. The
   * write is committed whatever happens next: a failed announcement or compile does not fail its
   * answer (the client would repeat a change that was applied); the feed retries both and reports it.
   */
  publishChange(): Promise<void>;
  /**
   * publishChange for a change that only revoked or reactivated client certificates, once the service has
   * updated this process's revocation sets: the other processes update theirs, nobody recompiles a snapshot.
   */
  publishRevocations(): Promise<void>;
}

export async function startPublishing(
  store: Store,
  counters: OpenCounters,
  plane: ControlPlane,
  config: GatewayConfig | undefined,
  options: ServeOptions,
  logger: Logger,
): Promise<Publishing> {
  const { services, box, masterKey } = plane;
  // Unknown or absent SNI gets the default policy: the edge CA's certificate for these names and no
  // client CA. Hostnames with associations or edge certificates get their own TLS policy.
  const publicHost = new URL(options.publicUrl).hostname.replace(/^\[|\]$/g, '');
  const defaultNames = [...new Set(['localhost', '127.0.0.1', publicHost])];
  const gatewayPublisher = new GatewayPublisher(
    {
      store,
      box,
      edgeCa: services.edgeCa,
      defaultNames,
      revokedSerials: services.publicPkiPublisher.revokedSerials,
    },
    logger,
  );
  // Changes made through another process sharing the store (a cluster) are picked up within a second;
  // a rebuild that fails is retried until it succeeds, and a configuration that stays behind is reported.
  const changeFeed = new ConfigChangeFeed(
    store,
    async () => {
      await Promise.all([gatewayPublisher.republish(), services.publicPkiPublisher.publishAll()]);
    },
    logger,
    {
      pollMs: options.changePollMs,
      staleAfterMs: options.configStaleAfterMs,
      // The snapshot's revocation index holds the publisher's revoked-serial sets: updated in place, no recompile.
      applyRevocations: () => services.publicPkiPublisher.publishAll(),
    },
  );
  // With Redis, a change made here is hinted to the other gateways at once, and theirs to this one;
  // the poll stays the fallback for a lost hint (ADR 0003).
  if (counters.changeHints !== undefined) {
    changeFeed.hintTo(counters.changeHints);
    counters.changeHints.onHint(() => changeFeed.nudge());
  }
  // The file's changes are announced before the token is primed, so that the first compile covers
  // every change whose token this process takes as applied.
  if (config !== undefined) await changeFeed.announce();
  await changeFeed.prime();
  const snapshots = await masterKey.check(() => gatewayPublisher.start());
  return {
    gatewayPublisher,
    changeFeed,
    snapshots,
    publishChange: () => changeFeed.announceAndApply(() => gatewayPublisher.republish()),
    publishRevocations: () => changeFeed.announceRevocationsAndApply(() => Promise.resolve()),
  };
}
