/**
 * Checks a target before it is measured, so that a figure is never reported for a server that
 * does not do the job: with the client certificate (and full verification of the server chain)
 * the answer must be the upstream's 200 body; without a certificate the target must refuse
 * (TLS alert, or an HTTP 4xx). Also records what TLS was negotiated.
 */
import tls from 'node:tls';
import { BODY } from './fixed-response.ts';

export interface ProbeResult {
  /** e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384 X25519". */
  negotiated: string;
  /** How a client without a certificate is refused, e.g. "TLS alert" or "HTTP 401". */
  noCertRefusal: string;
  /** Session tickets the server sent on one full handshake (each costs it a session copy). */
  tickets: number;
}

interface Exchange {
  status: number;
  body: Buffer;
  negotiated: string;
  tickets: number;
}

const PROBE_TIMEOUT_MS = 5_000;

function exchange(options: tls.ConnectionOptions, host: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...options, ALPNProtocols: ['http/1.1'] });
    const chunks: Buffer[] = [];
    let negotiated = '';
    let tickets = 0;
    socket.on('session', () => tickets++);
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(new Error('probe timed out')));
    socket.once('secureConnect', () => {
      const key = socket.getEphemeralKeyInfo();
      const group = key && 'name' in key ? ` ${String(key.name)}` : '';
      negotiated = `${socket.getProtocol() ?? '?'} ${socket.getCipher().name}${group}`;
      // The same User-Agent as the load generator: a rule on it must see the same request.
      socket.write(`GET /probe HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: portcullis-bench\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('end', () => {
      const raw = Buffer.concat(chunks);
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        reject(new Error(`no HTTP answer (${raw.length} bytes)`));
        return;
      }
      const head = raw.toString('latin1', 0, headEnd);
      let body: Buffer = raw.subarray(headEnd + 4);
      if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) body = dechunk(body);
      resolve({ status: Number(head.slice(9, 12)), body, negotiated, tickets });
    });
  });
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (let guard = 0; guard < 10_000 && i < data.length; guard++) {
    const lineEnd = data.indexOf('\r\n', i);
    if (lineEnd < 0) break;
    const size = parseInt(data.toString('latin1', i, lineEnd), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    i = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * `withoutCertificate` 'served': an HTTP 200 for a client without a certificate is expected (reported,
 * not an error): a gateway host with client auth 'optional' and no mTLS rule lets the request through.
 */
export async function probeTarget(
  port: number,
  pki: { caPem: string; clientCertPem: string; clientKeyPem: string },
  withoutCertificate: 'refused' | 'served' = 'refused',
  /** The load generator's key-exchange groups (BENCH_TLS_GROUPS), so the probe negotiates what it will. */
  groups?: string,
): Promise<ProbeResult> {
  const base = {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: pki.caPem,
    ...(groups === undefined ? {} : { ecdhCurve: groups }),
  };
  const good = await exchange({ ...base, cert: pki.clientCertPem, key: pki.clientKeyPem }, 'localhost');
  if (good.status !== 200 || !good.body.equals(BODY)) {
    throw new Error(
      `probe with a client certificate: HTTP ${good.status}, body ${JSON.stringify(good.body.toString())}`,
    );
  }
  let noCertRefusal: string;
  try {
    const anonymous = await exchange(base, 'localhost');
    if (withoutCertificate === 'served' && anonymous.status === 200) {
      return {
        negotiated: good.negotiated,
        noCertRefusal: 'HTTP 200 (served, as expected: client auth optional and no mTLS rule)',
        tickets: good.tickets,
      };
    }
    if (anonymous.status < 400 || anonymous.status >= 500) {
      throw new Error(`a client without a certificate got HTTP ${anonymous.status}: mTLS is not enforced`);
    }
    noCertRefusal = `HTTP ${anonymous.status}`;
  } catch (err) {
    if ((err as Error).message.includes('mTLS is not enforced')) throw err;
    noCertRefusal = `TLS (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  return { negotiated: good.negotiated, noCertRefusal, tickets: good.tickets };
}
