/**
 * Which certificate the portal's listener serves (docs/adr/0017): for the portal's own hostname,
 * the certificate the gateway serves for that hostname — an uploaded edge certificate, or the
 * zone hostname's certificate — read from the current snapshot at each handshake (a reference
 * read, never the store), so a certificate uploaded or replaced later is served at the next
 * connection; for any other name, or while the hostname has none, the edge CA's certificate.
 */
import { createSecureContext, type SecureContext } from 'node:tls';

export interface ServerCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The certificate the gateway serves for a hostname, or undefined when it has none of its own. */
export type HostCertificateLookup = (hostname: string) => ServerCertificate | undefined;

export type SniCallback = (servername: string, done: (error: Error | null, context?: SecureContext) => void) => void;

export function portalSniCallback(portalHostname: string, lookup: HostCertificateLookup): SniCallback {
  const wanted = portalHostname.toLowerCase();
  // One context kept: the hostname has one certificate at a time; a new one replaces it.
  let cached: { certPem: string; context: SecureContext } | undefined;
  return (servername, done) => {
    try {
      if (servername.toLowerCase() !== wanted) {
        done(null); // the listener's own (edge CA) certificate
        return;
      }
      const found = lookup(wanted);
      if (found === undefined) {
        done(null);
        return;
      }
      if (cached?.certPem !== found.certPem) {
        cached = {
          certPem: found.certPem,
          context: createSecureContext({ cert: found.certPem, key: found.keyPem, minVersion: 'TLSv1.2' }),
        };
      }
      done(null, cached.context);
    } catch {
      // A certificate that does not load must not end the handshake, let alone the process.
      done(null);
    }
  };
}
