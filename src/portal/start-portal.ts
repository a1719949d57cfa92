/**
 * Starts the developer portal on its own listener (`serve --portal-listen`): the certificate the
 * gateway serves for the portal's hostname when it has one (an uploaded edge certificate or the
 * zone hostname's, chosen by SNI: portal-sni.ts), else one from the edge CA (the same CA as the
 * gateway's default certificate, written to <data-dir>/edge-ca.pem), the portal app, and the sweeper that revokes rotated
 * credentials whose grace period is over (once a minute).
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { GW_ERR_LISTEN_FAILED, GatewayError } from '../errors/index.ts';
import { formatListenAddress, type ListenAddress } from '../config/listen-address.ts';
import type { PortalServices } from '../control/portal/build-portal-services.ts';
import type { EdgeCaService } from '../control/certificates/edge-ca-service.ts';
import type { Store } from '../store/ports.ts';
import { buildPortalApp } from './build-portal-app.ts';
import { portalSniCallback, type HostCertificateLookup } from './portal-sni.ts';

const SWEEP_INTERVAL_MS = 60_000;

export interface PortalStartOptions {
  readonly listen: ListenAddress;
  /** The portal's public base URL; default https://<listen host>:<port>. */
  readonly url?: string | undefined;
  readonly services: PortalServices;
  readonly store: Store;
  readonly masterKey: Uint8Array;
  readonly edgeCa: EdgeCaService;
  /** The gateway's certificate for a hostname (an edge or zone hostname certificate), served for the portal's hostname when there is one. */
  readonly hostCertificate?: HostCertificateLookup | undefined;
  readonly logger: Logger;
  readonly gatewayUrl: () => string;
  readonly onChange: () => Promise<void>;
}

export interface RunningPortal {
  readonly address: AddressInfo;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startPortal(options: PortalStartOptions): Promise<RunningPortal> {
  const listenHost =
    options.listen.host === '0.0.0.0' || options.listen.host === '::' ? 'localhost' : options.listen.host;
  const configured = options.url === undefined ? undefined : new URL(options.url);
  const hostname = (configured?.hostname ?? listenHost).replace(/^\[|\]$/g, '');
  const tls = await options.edgeCa.serverCredentials([...new Set([hostname, 'localhost', '127.0.0.1'])]);
  const app = await buildPortalApp({
    services: options.services,
    store: options.store,
    masterKey: options.masterKey,
    tls,
    sniCallback:
      options.hostCertificate === undefined ? undefined : portalSniCallback(hostname, options.hostCertificate),
    logger: options.logger,
    gatewayUrl: options.gatewayUrl,
    onChange: options.onChange,
  });
  try {
    await app.listen({ host: options.listen.host, port: options.listen.port });
  } catch (error) {
    await app.close();
    if (error instanceof GatewayError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw GW_ERR_LISTEN_FAILED.create(`${formatListenAddress(options.listen)} (${code})`, error);
  }
  const address = app.server.address() as AddressInfo;
  const url =
    configured?.origin ?? `https://${hostname.includes(':') ? `[${hostname}]` : hostname}:${String(address.port)}`;
  const sweep = setInterval(() => {
    options.services.access
      .sweep()
      .then((revoked) => (revoked > 0 ? options.onChange() : undefined))
      .catch((error: unknown) => {
        options.logger.error(
          { err: (error as Error).message },
          'portal: revoking credentials past their grace period failed',
        );
      });
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
  return {
    address,
    url,
    async stop() {
      clearInterval(sweep);
      await app.close();
    },
  };
}
