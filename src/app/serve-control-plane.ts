/**
 * The first steps of `portcullis serve` once the store is open: the cluster's master key, the control
 * plane's services, the bootstrap token, the --config file, the public PKI (CA certificates, CRLs)
 * and the edge CA written to the data dir. Nothing listens yet and nothing runs in the background.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { ServeOptions } from '../config/serve-options.ts';
import type { GatewayConfig } from '../config/load-gateway-config.ts';
import { SecretBox } from '../store/secret-box.ts';
import type { Store } from '../store/ports.ts';
import type { OpenCounters } from '../store/counters/open-counters.ts';
import { buildServices, type ControlServices, type ServiceOptions } from '../control/build-services.ts';
import { resolveClusterMasterKey, type ClusterMasterKey } from '../control/cluster-master-key.ts';
import { ConfigApplier } from '../control/config-file/config-applier.ts';
import { PublicPki } from '../runtime-config/public-pki.ts';
import { ADMIN_TOKEN_FILE, EDGE_CA_FILE, writeDataDirFile } from './data-dir.ts';

export interface ControlPlane {
  readonly masterKey: ClusterMasterKey;
  readonly box: SecretBox;
  readonly services: ControlServices;
  /** Applies the --config file again (SIGHUP), through services bound to one transaction. */
  readonly configApplier: ConfigApplier;
  /** What the public PKI endpoints of the gateway listener serve (CA certificates, CRLs, OCSP). */
  readonly publicPki: PublicPki;
  /** The gateway's public URL: set once the listener's port is known when it listens on port 0. */
  publicUrl: string;
}

export async function openControlPlane(
  store: Store,
  counters: OpenCounters,
  config: GatewayConfig | undefined,
  options: ServeOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  role: { readonly worker: boolean } = { worker: false },
  /** Under `serve --workers N`: who makes the CRLs and who is told of them (app/shared-crls.ts). */
  crls: Pick<ServiceOptions, 'makesCrls' | 'onCrlPublished'> = {},
): Promise<ControlPlane> {
  const masterKey = await resolveClusterMasterKey({
    store,
    dataDir: options.dataDir,
    env,
    onCreate: (file) =>
      logger.warn({ file }, 'created a new master key: back it up, the CA keys cannot be opened without it'),
  });
  const box = new SecretBox(masterKey.key);
  const publicPki = new PublicPki();
  // Rate limits, quotas and rule hits: in this process, or in Redis for a cluster (--redis).
  logger.info({ counters: counters.location }, 'usage counters');
  const plane = { masterKey, box, publicPki, publicUrl: options.publicUrl } as ControlPlane;
  const serviceOptions: Omit<ServiceOptions, 'store'> = {
    box,
    publicPki,
    // With --listen on port 0 and no --public-url, the real port is known only after listening.
    publicUrl: () => plane.publicUrl,
    listenHost: options.listen.host,
    operatorHostnames: [new URL(options.publicUrl).hostname],
    quotaRemaining: (keyId, quota) => counters.usage.quotaRemaining(keyId, quota),
    onCrlFailure: ({ caId, error, willRetry }) =>
      logger.error({ caId, err: (error as Error).message, willRetry }, 'managed CA CRL generation failed'),
    ...crls,
  };
  const services = buildServices({ store, ...serviceOptions });
  // The edge CA is the first secret sealed with the master key: opening it (or creating it, in a
  // new store) is where a gateway with another key than the cluster's is refused.
  const edgeCa = await masterKey.check(() => services.edgeCa.authority());
  const configApplier = new ConfigApplier(
    store,
    (transaction) => buildServices({ store: transaction, ...serviceOptions }),
    logger,
  );
  // A worker of `serve --workers N` serves what the primary set up (docs/adr/0018-workers.md): the
  // token, the --config file and the data dir's files are the primary's, done once before it forks.
  if (role.worker) {
    await masterKey.check(() => services.publicPkiPublisher.publishAll());
    return Object.assign(plane, { services, configApplier });
  }
  const bootstrapSecret = await services.tokens.ensureBootstrapToken(env.PORTCULLIS_ADMIN_TOKEN, async (secret) => {
    await writeDataDirFile(options.dataDir, ADMIN_TOKEN_FILE, secret + '\n', 0o600);
  });
  if (bootstrapSecret !== undefined) {
    logger.info({ file: path.join(options.dataDir, ADMIN_TOKEN_FILE) }, 'created the bootstrap admin token');
  }
  // The --config file is applied before anything is served: a refused file stops the start (exit 3).
  // It writes the whole file in one transaction, through services bound to that transaction.
  if (config !== undefined) await configApplier.applyLoaded(config);
  await masterKey.check(() => services.publicPkiPublisher.publishAll());
  await writeDataDirFile(options.dataDir, EDGE_CA_FILE, edgeCa.certPem, 0o644);
  return Object.assign(plane, { services, configApplier });
}
