/**
 * Opens one connection per hostname to a multi-host target (full mTLS handshake with that SNI,
 * then close), so that the TLS server of every host exists before the bench, and checks that each
 * host answered with its own certificate. Run from the orchestrator, not in the target: client
 * sockets in the target process would leave their own type feedback in its JIT-compiled code
 * (Node's TLS and stream functions serve both sides), which the target never has in production.
 */
import tls from 'node:tls';

const CONCURRENCY = 16;
const TIMEOUT_MS = 10_000;

/** One handshake with this SNI; resolves with the CN of the certificate the host presented. */
function touch(port: number, hostname: string, client: tls.SecureContext): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: hostname,
      secureContext: client,
      rejectUnauthorized: false,
    });
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`${hostname}: handshake timed out`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const cn = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve(Array.isArray(cn) ? cn.join(',') : (cn ?? ''));
    });
  });
}

/** Resolves when every hostname answered a handshake with a certificate for CN=hostname. */
export async function primeHosts(
  port: number,
  hostnames: readonly string[],
  client: { certPem: string; keyPem: string },
): Promise<void> {
  const context = tls.createSecureContext({ cert: client.certPem, key: client.keyPem });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hostnames.length) {
      const hostname = hostnames[next++]!;
      const cn = await touch(port, hostname, context);
      if (cn !== hostname) throw new Error(`SNI ${hostname} was answered with the certificate of ${cn}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, hostnames.length) }, worker));
}
