/**
 * The load generator: raw `tls.connect` sockets presenting a client certificate, one request in
 * flight per connection, in two modes —
 *  - keep-alive: N long-lived connections, each sending the next GET as soon as the last answer ends;
 *  - handshake: N concurrent slots, each opening a new connection (full handshake: no session is
 *    ever offered for resumption), sending one GET with `Connection: close`, reading the answer, closing.
 * Written by hand rather than with autocannon: autocannon can present a certificate (`tlsOptions`),
 * but it builds a new SecureContext (re-parsing PEM) per connection, parses with http-parser-js,
 * and with `reconnectRate` it drops the response of every reconnecting request from its counts.
 * The client does not verify the server chain during load (the probe does, once per target): that
 * only saves the generator one ECDSA verify per handshake and changes nothing on the server side.
 */
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { LatencyRecorder, type LatencySummary } from './latency-recorder.ts';
import { ResponseReader } from './response-reader.ts';

export type LoadMode = 'keep-alive' | 'handshake';

export interface LoadOptions {
  mode: LoadMode;
  host: string;
  port: number;
  /** SNI and Host header. */
  servername: string;
  path: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  certPem: string;
  keyPem: string;
  maxVersion?: tls.SecureVersion;
  /** Key-exchange groups the client offers (OpenSSL list, e.g. "X25519"); unset = Node's default. */
  groups?: string;
  /** A request (or, in handshake mode, a whole connection) older than this is abandoned. */
  timeoutMs?: number;
}

export interface LoadErrors {
  /** Answers with a status outside 2xx. */
  status: number;
  /** Socket or TLS errors, and connections closed mid-request. */
  socket: number;
  timeout: number;
  /** Answers the reader could not parse. */
  parse: number;
}

export interface LoadResult {
  mode: LoadMode;
  /** Length of the measured window. */
  seconds: number;
  /** 2xx answers completed in the window (handshake mode: connections that completed one). */
  completed: number;
  perSecondRate: number;
  /** Completed answers per whole second of the window, to judge stability. */
  perSecond: number[];
  latency: LatencySummary;
  errors: LoadErrors;
  firstError: string | null;
  /** Connections opened in the window. */
  connectionsOpened: number;
  /** Handshakes that resumed a session (must be 0: every handshake is a full one). */
  resumed: number;
  /** TLS protocol and cipher of the first connection. */
  negotiated: string | null;
  cpu: { userSeconds: number; systemSeconds: number; percentOfCore: number };
  /** Event-loop utilization of the generator in the window (1 = saturated). */
  eventLoopUtilization: number;
}

interface Slot {
  socket: tls.TLSSocket;
  reader: ResponseReader;
  /** When the connection was opened. */
  openedAt: number;
  /** When the current request was sent (0 = none in flight). */
  sentAt: number;
  /** Start of the current wait (connect or request), for timeouts; 0 = idle. */
  busySince: number;
  retired: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const RECONNECT_DELAY_MS = 10;
const CLOSE_GRACE_MS = 5_000;

/** Called at the exact edges of the measured window (e.g. to sample other processes' CPU). */
export interface LoadHooks {
  onWindowStart?(): void;
  onWindowEnd?(): void;
}

export function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  return new LoadRun(options, hooks).run();
}

class LoadRun {
  readonly #o: LoadOptions;
  readonly #hooks: LoadHooks;
  readonly #context: tls.SecureContext;
  readonly #request: Buffer;
  readonly #slots = new Set<Slot>();
  readonly #latency = new LatencyRecorder();
  readonly #timeoutMs: number;
  #perSecond: number[] = [];
  #measuring = false;
  #stopped = false;
  #windowStart = 0;
  #completed = 0;
  #opened = 0;
  #resumed = 0;
  #errors: LoadErrors = { status: 0, socket: 0, timeout: 0, parse: 0 };
  #firstError: string | null = null;
  #negotiated: string | null = null;

  constructor(options: LoadOptions, hooks: LoadHooks) {
    this.#o = options;
    this.#hooks = hooks;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // One context for every connection: building one per connection would parse the PEM key each time.
    this.#context = tls.createSecureContext({
      cert: options.certPem,
      key: options.keyPem,
      ...(options.groups === undefined ? {} : { ecdhCurve: options.groups }),
    });
    const close = options.mode === 'handshake' ? 'Connection: close\r\n' : '';
    this.#request = Buffer.from(
      `GET ${options.path} HTTP/1.1\r\nHost: ${options.servername}\r\nUser-Agent: portcullis-bench\r\n${close}\r\n`,
      'latin1',
    );
  }

  run(): Promise<LoadResult> {
    return new Promise((resolve) => {
      for (let i = 0; i < this.#o.connections; i++) this.#open();
      const scan = setInterval(() => {
        this.#expire();
      }, 250);
      setTimeout(() => {
        this.#hooks.onWindowStart?.();
        const cpuStart = process.cpuUsage();
        const eluStart = performance.eventLoopUtilization();
        this.#startWindow();
        setTimeout(() => {
          const seconds = (performance.now() - this.#windowStart) / 1000;
          const cpu = process.cpuUsage(cpuStart);
          const elu = performance.eventLoopUtilization(eluStart);
          this.#hooks.onWindowEnd?.();
          this.#stop();
          clearInterval(scan);
          resolve(this.#result(seconds, cpu, elu.utilization));
        }, this.#o.durationMs);
      }, this.#o.warmupMs);
    });
  }

  #startWindow(): void {
    this.#measuring = true;
    this.#windowStart = performance.now();
    this.#perSecond = new Array<number>(Math.ceil(this.#o.durationMs / 1000)).fill(0);
    this.#completed = 0;
    this.#opened = 0;
    this.#resumed = 0;
    this.#errors = { status: 0, socket: 0, timeout: 0, parse: 0 };
  }

  #open(): void {
    if (this.#stopped) return;
    const socket = tls.connect({
      host: this.#o.host,
      port: this.#o.port,
      servername: this.#o.servername,
      secureContext: this.#context,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      ...(this.#o.maxVersion ? { maxVersion: this.#o.maxVersion } : {}),
    });
    const now = performance.now();
    const slot: Slot = {
      socket,
      reader: new ResponseReader(),
      openedAt: now,
      sentAt: 0,
      busySince: now,
      retired: false,
    };
    this.#slots.add(slot);
    if (this.#measuring) this.#opened++;
    socket.setNoDelay(true);
    socket.once('secureConnect', () => {
      if (socket.isSessionReused() && this.#measuring) this.#resumed++;
      if (this.#negotiated === null) this.#negotiated = `${socket.getProtocol() ?? '?'} ${socket.getCipher().name}`;
      this.#send(slot);
    });
    socket.on('data', (chunk: Buffer) => {
      this.#onData(slot, chunk);
    });
    socket.on('error', (err: Error) => {
      this.#fail(slot, 'socket', err.message);
    });
    socket.on('close', () => {
      this.#onClose(slot);
    });
  }

  #send(slot: Slot): void {
    if (this.#stopped || slot.retired) return;
    slot.reader.reset();
    slot.sentAt = performance.now();
    slot.busySince = slot.sentAt;
    slot.socket.write(this.#request);
  }

  #onData(slot: Slot, chunk: Buffer): void {
    if (slot.retired || slot.sentAt === 0) return;
    let done: boolean;
    try {
      done = slot.reader.push(chunk);
    } catch (err) {
      this.#fail(slot, 'parse', (err as Error).message);
      return;
    }
    if (done) this.#complete(slot);
  }

  #complete(slot: Slot): void {
    const now = performance.now();
    const status = slot.reader.status;
    if (this.#measuring) {
      if (status >= 200 && status < 300) {
        this.#completed++;
        this.#latency.record(now - (this.#o.mode === 'handshake' ? slot.openedAt : slot.sentAt));
        const second = Math.floor((now - this.#windowStart) / 1000);
        if (second < this.#perSecond.length) this.#perSecond[second]!++;
      } else {
        this.#errors.status++;
      }
    }
    if ((status < 200 || status >= 300) && this.#firstError === null) this.#firstError = `HTTP ${status}`;
    slot.sentAt = 0;
    slot.busySince = 0;
    if (this.#o.mode === 'keep-alive' && slot.reader.keepAlive) {
      this.#send(slot);
      return;
    }
    this.#retire(slot, false);
    this.#open();
  }

  #onClose(slot: Slot): void {
    if (slot.retired || this.#stopped) return;
    if (slot.sentAt !== 0 && slot.reader.untilClose) {
      this.#complete(slot);
      return;
    }
    this.#fail(slot, 'socket', 'connection closed by the server mid-request');
  }

  #fail(slot: Slot, kind: keyof LoadErrors, message: string): void {
    if (slot.retired || this.#stopped) return;
    if (this.#measuring) this.#errors[kind]++;
    this.#firstError ??= `${kind}: ${message}`;
    this.#retire(slot, true);
    setTimeout(() => {
      this.#open();
    }, RECONNECT_DELAY_MS);
  }

  #retire(slot: Slot, destroy: boolean): void {
    slot.retired = true;
    this.#slots.delete(slot);
    if (destroy) {
      slot.socket.destroy();
      return;
    }
    slot.socket.end();
    setTimeout(() => slot.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  #expire(): void {
    const limit = performance.now() - this.#timeoutMs;
    for (const slot of this.#slots) {
      if (slot.busySince !== 0 && slot.busySince < limit)
        this.#fail(slot, 'timeout', `no answer in ${this.#timeoutMs} ms`);
    }
  }

  #stop(): void {
    this.#measuring = false;
    this.#stopped = true;
    for (const slot of this.#slots) {
      slot.retired = true;
      slot.socket.destroy();
    }
    this.#slots.clear();
  }

  #result(seconds: number, cpu: NodeJS.CpuUsage, elu: number): LoadResult {
    const userSeconds = cpu.user / 1e6;
    const systemSeconds = cpu.system / 1e6;
    return {
      mode: this.#o.mode,
      seconds,
      completed: this.#completed,
      perSecondRate: this.#completed / seconds,
      perSecond: this.#perSecond,
      latency: this.#latency.summary(),
      errors: this.#errors,
      firstError: this.#firstError,
      connectionsOpened: this.#opened,
      resumed: this.#resumed,
      negotiated: this.#negotiated,
      cpu: { userSeconds, systemSeconds, percentOfCore: ((userSeconds + systemSeconds) / seconds) * 100 },
      eventLoopUtilization: elu,
    };
  }
}
