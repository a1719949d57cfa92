/**
 * The bulk-revocation bench's probes, on raw TLS sockets (so a connection the gateway closes is seen as
 * closed, never silently reopened as an HTTP agent would):
 *
 * - an open-connection probe holds one kept-alive HTTP/1.1 connection with one certificate and sends
 *   `GET /` every interval, until an answer other than 200 or the connection's end;
 * - a handshake probe makes new connections in a loop (full handshake, one request, `Connection: close`),
 *   each with the next certificate of its list, until an answer other than 200.
 *
 * Both answer 200 until the revocation: a refusal before `clock.t0` is set is an error, as is any answer
 * other than 200 or 403 (a 421 or 502 would mean the bench measures something else). After t0, a probe
 * reports the time from t0 to its refusal: what a device on that gateway sees.
 */
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { ResponseReader } from './response-reader.ts';

export interface ProbeGateway {
  readonly name: string;
  readonly port: number;
  /** The gateway's edge CA, which signed its listener's certificate. */
  readonly ca: string;
  readonly host: string;
}

export interface ProbeCredentials {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The revocation's start (performance.now()), set by the bench when it sends the bulk call. */
export interface RevocationClock {
  t0: number | undefined;
}

export interface Refusal {
  /** ms from t0 to the answer that refused (or the connection's end). */
  readonly ms: number;
  readonly how: '403' | 'closed';
}

/** Generous: on a shared 2-core machine a handshake can wait seconds for a core; a failure before t0 ends the run. */
const CONNECT_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One TLS connection that sends `GET /` and reads each answer; 0 once it has ended. */
class Connection {
  readonly #socket: tls.TLSSocket;
  readonly #reader = new ResponseReader();
  #waiting: ((status: number) => void) | undefined;
  #ended = false;

  private constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      try {
        if (this.#reader.push(chunk)) this.#answer(this.#reader.status);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#ended = true;
      this.#answer(0);
    });
  }

  static open(gateway: ProbeGateway, credentials: ProbeCredentials): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: gateway.port,
        servername: gateway.host,
        ca: gateway.ca,
        cert: credentials.certPem,
        key: credentials.keyPem,
        // No `session` option: Node's client resumes only when given one, so each connection is a full handshake.
        ALPNProtocols: ['http/1.1'],
      });
      const timer = setTimeout(() => socket.destroy(new Error('connect timed out')), CONNECT_TIMEOUT_MS);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(new Connection(socket));
      });
      socket.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Sends one request; resolves with its status, or 0 when the connection ended first. */
  request(host: string, close: boolean): Promise<number> {
    if (this.#ended) return Promise.resolve(0);
    this.#reader.reset();
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(`GET / HTTP/1.1\r\nhost: ${host}\r\n${close ? 'connection: close\r\n' : ''}\r\n`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #answer(status: number): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(status);
  }
}

function refusal(clock: RevocationClock, gateway: ProbeGateway, status: number, what: string): Refusal {
  if (clock.t0 === undefined) throw new Error(`${gateway.name}: ${what} refused (${status}) before the revocation`);
  if (status !== 403 && status !== 0) throw new Error(`${gateway.name}: ${what} answered ${status}`);
  return { ms: performance.now() - clock.t0, how: status === 403 ? '403' : 'closed' };
}

export interface RunningProbe {
  /** Resolves once the probe has had its first 200 (each probe must see the certificate accepted first). */
  readonly ready: Promise<void>;
  /** Resolves with the refusal, or undefined when `stop` came first. */
  readonly refused: Promise<Refusal | undefined>;
  stop(): void;
}

function started(
  run: (state: { stopped: boolean }, onFirstOk: () => void) => Promise<Refusal | undefined>,
): RunningProbe {
  const state = { stopped: false };
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const refused = run(state, () => markReady());
  // A probe that fails before its first 200 rejects `ready` too, so the bench never waits on it forever.
  const readyOrFailed = Promise.race([ready, refused.then(() => undefined)]);
  return {
    ready: readyOrFailed,
    refused,
    stop: () => {
      state.stopped = true;
    },
  };
}

/** Holds one connection open and sends a request every `intervalMs` until it is refused or stopped. */
export function probeOpenConnection(
  gateway: ProbeGateway,
  credentials: ProbeCredentials,
  clock: RevocationClock,
  intervalMs: number,
): RunningProbe {
  return started(async (state, onFirstOk) => {
    const connection = await Connection.open(gateway, credentials);
    try {
      while (!state.stopped) {
        const status = await connection.request(gateway.host, false);
        if (status !== 200) return refusal(clock, gateway, status, 'an open connection');
        onFirstOk();
        await sleep(intervalMs);
      }
      return undefined;
    } finally {
      connection.close();
    }
  });
}

/** New handshakes one after the other, each with the next certificate of `certificates`, until refused or stopped. */
export function probeNewHandshakes(
  gateway: ProbeGateway,
  certificates: readonly ProbeCredentials[],
  clock: RevocationClock,
  intervalMs: number,
): RunningProbe {
  return started(async (state, onFirstOk) => {
    for (let index = 0; !state.stopped; index += 1) {
      const credentials = certificates[index % certificates.length] as ProbeCredentials;
      const connection = await Connection.open(gateway, credentials);
      try {
        const status = await connection.request(gateway.host, true);
        if (status !== 200) return refusal(clock, gateway, status, 'a new handshake');
      } finally {
        connection.close();
      }
      onFirstOk();
      await sleep(intervalMs);
    }
    return undefined;
  });
}
