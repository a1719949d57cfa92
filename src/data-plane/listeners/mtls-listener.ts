/**
 * MtlsListener: one TLS listener serving HTTP/1.1 and HTTP/2 (ALPN), with the client's identity read
 * once per connection and handed to every request on it.
 *
 *   net.Server ─accept─▶ ConnectionGate: over a cap → closed before the handshake (connection-gate.ts)
 *   tls.Server ──secureConnection──▶ readConnectionIdentity(socket); no request within
 *        │                           --first-request-timeout → closed (HTTP/2: GOAWAY)
 *        │                              ├─ ALPN h2        → http2 server (streams)
 *        │                              └─ http/1.1 / none → our HTTP/1.1 loop (h1/client-connection.ts,
 *        │                                                   ADR 0022: one Http1Exchange per request)
 *        │     every request: its host unambiguous (request-authority.ts) ─✗ 400
 *        │     bytes the HTTP/1.1 parser refuses → JSON 400/408/431, closed (http1-client-error.ts)
 *        └─ tlsClientError: counted and logged by code only; the socket is never touched
 *           (hostile-input.md class 9: TLS getters on a failed handshake crash Node 20).
 *
 * Multi-host mode (`snapshots` given): a plain TCP listener peeks the ClientHello SNI and
 * hands the connection to the TLS server of the hostname's policy in the current snapshot
 * (sni-router.ts: per-host trust, session isolation); the identity then carries `accepted`.
 *
 * Drain (SIGTERM): stop accepting, GOAWAY every HTTP/2 session, close idle HTTP/1.1 connections and
 * close the others after their current response, then destroy what remains at the deadline.
 *
 * Every handler here is registered through the FaultGuard (fault-guard.ts, ADR 0011): an exception
 * in one request, stream or connection ends that one (500 or reset), never the process.
 */
import tls, { type TLSSocket } from 'node:tls';
import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { GW_ERR_LISTEN_FAILED, GW_ERR_REQUEST_INVALID } from '../../errors/index.ts';
import { formatListenAddress, type ListenAddress } from '../../config/listen-address.ts';
import {
  chainEndsAtOneOf,
  readConnectionIdentity,
  type ClientTrust,
  type ConnectionIdentity,
  type IdentityCaches,
} from './connection-identity.ts';
import { CertificateFieldsCache } from './certificate-fields-cache.ts';
import { ChainVerdictCache } from './client-chain-verdict.ts';
import {
  buildTlsServerOptions,
  HANDSHAKE_TIMEOUT_MS,
  handshakeFailureReason,
  SESSION_TICKET_TOO_LARGE,
  trustContextId,
  type TlsServerMaterial,
  type TlsSessionSettings,
} from './tls-server-options.ts';
import type { SnapshotHolder } from '../../runtime-config/gateway-snapshot.ts';
import { SniRouter, type AcceptedConnection } from './sni-router.ts';
import { deriveTicketKeys } from './session-ticket-keys.ts';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../../config/connection-limits.ts';
import { ConnectionGate, clientOf } from './connection-gate.ts';
import { ConnectionDropLog, type ConnectionDropReason } from './connection-drop-log.ts';
import { http2AuthorityProblem } from './request-authority.ts';
import { isGrpcCall, sendHttp2Error } from '../pipeline/gateway-response.ts';
import { FaultGuard } from '../guard/fault-guard.ts';
import { Http1ClientConnection, DEFAULT_HTTP1_TIMEOUTS, type Http1Timeouts } from './h1/client-connection.ts';
import type { Http1Exchange } from './h1/http1-exchange.ts';

/** The hint about session tickets and large certificates is logged at most this often. */
const TICKET_WARNING_INTERVAL_MS = 60_000;
const kIdentity = Symbol('portcullis.identity');
/** On the TLS socket and its HTTP/2 session: the timer closing it if no request comes (cleared by the first). */
const kFirstRequestTimer = Symbol('portcullis.firstRequestTimer');
/** On the TLS socket: its HTTP/2 session, closed with GOAWAY rather than cut when no request came. */
const kSession = Symbol('portcullis.session');
type WithIdentity = {
  [kIdentity]?: ConnectionIdentity;
  [kFirstRequestTimer]?: NodeJS.Timeout | undefined;
  [kSession]?: ServerHttp2Session;
};

export interface RequestHandler {
  draining: boolean;
  /**
   * Every HTTP/1.1 request, from our loop on the TLS socket (h1/client-connection.ts, ADR 0022): the
   * exchange is the request, its response and the ResponseSink at once. Its Host was checked already.
   */
  handleHttp1(exchange: Http1Exchange, identity: ConnectionIdentity): void;
  handleHttp2(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    flags: number,
    identity: ConnectionIdentity,
  ): void;
}

interface CommonListenerOptions extends TlsSessionSettings {
  readonly listen: ListenAddress;
  readonly handler: RequestHandler;
  readonly logger: Logger;
  /** Told of every failed handshake by its error code only (e.g. GatewayMetrics.handshakeFailed). */
  readonly onHandshakeFailure?: (reason: string) => void;
  /** Caps on open connections and the wait for a first request; default DEFAULT_CONNECTION_LIMITS. */
  readonly connectionLimits?: ConnectionLimits;
  /** Told of every connection the listener closed on its own, by reason (e.g. GatewayMetrics). */
  readonly onConnectionDropped?: (reason: ConnectionDropReason) => void;
  /** The guard of the whole data plane (shared with the handler and forwarders); default: one logging to `logger`. */
  readonly guard?: FaultGuard;
  /** The HTTP/1.1 loop's keep-alive, headers and request timeouts; default DEFAULT_HTTP1_TIMEOUTS (ADR 0022). */
  readonly http1Timeouts?: Http1Timeouts;
}

/** One TLS policy for every connection (`portcullis proxy`). */
export interface SingleHostListenerOptions extends CommonListenerOptions {
  readonly material: TlsServerMaterial;
  /** The client CAs as parsed certificates (the material holds their PEM). */
  readonly trustedCas: readonly X509Certificate[];
  /** Node-format fingerprints of the CAs of `trustedCas` with `legacy` compatibility; default none. */
  readonly legacyCaFingerprints?: ReadonlySet<string>;
  readonly snapshots?: undefined;
}

/** Per-hostname TLS policy from the current gateway snapshot (`portcullis serve`). */
export interface MultiHostListenerOptions extends CommonListenerOptions {
  readonly snapshots: SnapshotHolder;
}

export type MtlsListenerOptions = SingleHostListenerOptions | MultiHostListenerOptions;

export class MtlsListener {
  readonly #options: MtlsListenerOptions;
  /**
   * The listening TCP server. It counts each connection in (ConnectionGate) before handing it to the
   * TLS server (single-host mode) or to the SNI router, which picks the TLS server (multi-host mode).
   */
  readonly #tls: net.Server;
  /** Single-host mode: the one TLS server. */
  readonly #single: tls.Server | undefined;
  readonly #limits: ConnectionLimits;
  readonly #gate: ConnectionGate;
  readonly #drops: ConnectionDropLog;
  readonly #http2: http2.Http2Server;
  readonly #sockets = new Set<TLSSocket>();
  /** The HTTP/1.1 connections (our loop, one per socket that did not choose h2). */
  readonly #http1Connections = new Set<Http1ClientConnection>();
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #caches: IdentityCaches = { fields: new CertificateFieldsCache(), chains: new ChainVerdictCache() };
  readonly #guard: FaultGuard;
  /** Failed handshakes by error code, for logs and (later) metrics. */
  readonly handshakeFailures = new Map<string, number>();
  readonly #onClientError: (code: string) => void;
  /** Single-host mode: the client CAs in force (replaced by replaceTlsMaterial). */
  #trust: ClientTrust = { trustedCas: [], legacyCaFingerprints: new Set(), trustId: '' };
  #trustReplacedAt = Number.NEGATIVE_INFINITY;

  constructor(options: MtlsListenerOptions) {
    this.#options = options;
    const { handler, logger } = options;
    const guard = (this.#guard = options.guard ?? new FaultGuard({ logger }));
    this.#limits = options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS;
    this.#gate = new ConnectionGate(this.#limits);
    this.#drops = new ConnectionDropLog(logger, options.onConnectionDropped);
    this.#http2 = http2.createServer({ settings: { maxConcurrentStreams: 128 } });
    const onStreamError = guard.wrap('http2_stream', undefined, (error: Error) =>
      logger.debug({ err: error.message }, 'http2 stream error'),
    );
    guard.listenEach(
      this.#http2,
      'session',
      'http2_session',
      (session: ServerHttp2Session) => session,
      (session: ServerHttp2Session & WithIdentity) => {
        // The session's socket is a Proxy that reads and writes the TLS socket: once, here.
        const socket = session.socket as unknown as WithIdentity;
        session[kIdentity] = socket[kIdentity];
        session[kFirstRequestTimer] = socket[kFirstRequestTimer];
        socket[kSession] = session;
        this.#sessions.add(session);
        guard.listen(session, 'close', 'http2_session', session, () => this.#sessions.delete(session));
        guard.listen(session, 'error', 'http2_session', session, (error: Error) =>
          logger.debug({ err: error.message }, 'http2 session error'),
        );
        session.setTimeout(120_000); // idle sessions: 2 minutes
        guard.listen(session, 'timeout', 'http2_session', session, () => session.close());
      },
    );
    guard.listenEach(
      this.#http2,
      'stream',
      'http2_stream',
      (stream: ServerHttp2Stream) => stream,
      (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number) => {
        guard.attach(stream, 'error', onStreamError);
        const session = stream.session as (ServerHttp2Session & WithIdentity) | undefined;
        const identity = session?.[kIdentity];
        if (session === undefined || identity === undefined) {
          stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
          return;
        }
        if (session[kFirstRequestTimer] !== undefined) {
          clearTimeout(session[kFirstRequestTimer]);
          session[kFirstRequestTimer] = undefined;
        }
        const authorityProblem = http2AuthorityProblem(headers);
        if (authorityProblem !== undefined) {
          const grpc = isGrpcCall(headers['content-type']);
          sendHttp2Error(stream, GW_ERR_REQUEST_INVALID.create(authorityProblem), { grpc });
          return;
        }
        handler.handleHttp2(stream, headers, flags, identity);
      },
    );
    let ticketWarnedAt = Number.NEGATIVE_INFINITY;
    const onClientError = (code: string): void => {
      this.handshakeFailures.set(code, (this.handshakeFailures.get(code) ?? 0) + 1);
      logger.debug({ code }, 'tls handshake failed');
      options.onHandshakeFailure?.(code);
      if (code === SESSION_TICKET_TOO_LARGE && Date.now() - ticketWarnedAt >= TICKET_WARNING_INTERVAL_MS) {
        ticketWarnedAt = Date.now();
        logger.warn(
          { code },
          'a client certificate too large for a TLS session ticket (over ~64 KB) cannot connect: use --session-tickets off',
        );
      }
    };
    this.#onClientError = onClientError;
    if (options.snapshots !== undefined) {
      const router = new SniRouter(
        options.snapshots,
        {
          admit: (socket) => this.#admit(socket),
          secureConnection: (socket, accepted) => this.#accept(socket, accepted.policy, accepted),
          clientError: onClientError,
        },
        guard,
        options,
      );
      this.#tls = router.server;
      this.#single = undefined;
      return;
    }
    this.#trust = singleHostTrust(options.material, options.trustedCas, options.legacyCaFingerprints);
    const server = tls.createServer(buildTlsServerOptions(options.material, options));
    this.#single = server;
    this.#shareTicketKeys();
    guard.listenEach(
      server,
      'secureConnection',
      'tls_accept',
      (socket: TLSSocket) => socket,
      (socket: TLSSocket & WithIdentity) =>
        // A handshake that began before replaceTlsMaterial was verified against the CAs before it; none
        // can still be running HANDSHAKE_TIMEOUT_MS later.
        this.#accept(socket, this.#trust, undefined, Date.now() - this.#trustReplacedAt < HANDSHAKE_TIMEOUT_MS),
    );
    // The failed socket is never a fault target: TLS state of a failed handshake is not touched.
    guard.listenEach(
      server,
      'tlsClientError',
      'connection',
      () => undefined,
      (error: NodeJS.ErrnoException) => onClientError(handshakeFailureReason(error)),
    );
    // The TLS server does not listen itself: connections come from this one, once counted in.
    this.#tls = net.createServer();
    guard.listenEach(
      this.#tls,
      'connection',
      'connection',
      (socket: Socket) => socket,
      (socket: Socket) => {
        if (this.#admit(socket)) server.emit('connection', socket);
      },
    );
  }

  /**
   * At TCP accept, before any byte is read: counts the connection in, or closes it at once when a
   * cap is reached (docs/adr/0012). Returns whether it may go on to the TLS handshake.
   */
  #admit(socket: Socket): boolean {
    const remoteAddress = socket.remoteAddress;
    if (remoteAddress === undefined) {
      socket.destroy(); // gone already (reset before it was accepted)
      return false;
    }
    const client = clientOf(remoteAddress);
    const refusal = this.#gate.admit(client);
    if (refusal !== undefined) {
      socket.destroy();
      this.#drops.dropped(refusal, remoteAddress);
      return false;
    }
    this.#guard.listenOnce(socket, 'close', 'connection', socket, () => this.#gate.release(client));
    return true;
  }

  /**
   * After the handshake: a connection that sends no whole request head within the limit is closed,
   * so idle connections (with or without a client certificate) cannot pile up until the caps refuse
   * everyone else. An HTTP/2 session gets a GOAWAY (the client knows nothing was processed).
   */
  #expectFirstRequest(socket: TLSSocket & WithIdentity): void {
    const timer = this.#guard.timeout(this.#limits.firstRequestTimeoutMs, 'connection', socket, () => {
      socket[kFirstRequestTimer] = undefined;
      this.#drops.dropped('first_request_timeout', socket.remoteAddress ?? '');
      const session = socket[kSession];
      if (session === undefined) socket.destroy();
      else session.close();
    });
    socket[kFirstRequestTimer] = timer;
    this.#guard.listenOnce(socket, 'close', 'connection', socket, () => clearTimeout(timer));
  }

  #accept(
    socket: TLSSocket & WithIdentity,
    trust: ClientTrust,
    accepted?: AcceptedConnection,
    checkTrustAgain = false,
  ): void {
    // Called under the guard (stage tls_accept): an identity that cannot be read ends this socket.
    const identity = readConnectionIdentity(socket, trust, this.#caches, accepted);
    const stillTrusted =
      !checkTrustAgain || !identity.verified || identity.leaf === undefined
        ? true
        : chainEndsAtOneOf(identity.leaf, identity.verifiedChain, trust.trustedCas);
    socket[kIdentity] = stillTrusted
      ? identity
      : { ...identity, verified: false, failure: 'its CA was removed while the handshake ran (client CAs reloaded)' };
    this.#sockets.add(socket);
    this.#guard.listen(socket, 'close', 'connection', socket, () => this.#sockets.delete(socket));
    this.#expectFirstRequest(socket);
    // TLS 1.3 sends its tickets just after the handshake: a ticket OpenSSL cannot build fails the
    // connection here, not in tlsClientError (other socket errors are the HTTP servers' business).
    this.#guard.listenOnce(socket, 'error', 'connection', socket, (error: NodeJS.ErrnoException) => {
      if (handshakeFailureReason(error) === SESSION_TICKET_TOO_LARGE) this.#onClientError(SESSION_TICKET_TOO_LARGE);
    });
    if (socket.alpnProtocol === 'h2') this.#http2.emit('connection', socket);
    else this.#serveHttp1(socket, socket[kIdentity]);
  }

  /** HTTP/1.1 on this socket (ADR 0022): the Host check, keep-alive, timeouts and refusals are the loop's. */
  #serveHttp1(socket: TLSSocket & WithIdentity, identity: ConnectionIdentity): void {
    const handler = this.#options.handler;
    const logger = this.#options.logger;
    const connection = new Http1ClientConnection(socket, {
      guard: this.#guard,
      timeouts: this.#options.http1Timeouts ?? DEFAULT_HTTP1_TIMEOUTS,
      onRequest: (exchange) => handler.handleHttp1(exchange, identity),
      onFirstRequest: () => {
        if (socket[kFirstRequestTimer] === undefined) return;
        clearTimeout(socket[kFirstRequestTimer]);
        socket[kFirstRequestTimer] = undefined;
      },
      draining: () => handler.draining,
      onRefused: (code) => logger.debug({ code }, 'malformed HTTP/1.1 request refused'),
    });
    this.#http1Connections.add(connection);
    this.#guard.listenOnce(socket, 'close', 'connection', socket, () => this.#http1Connections.delete(connection));
  }

  /**
   * Single-host mode (`portcullis proxy`, SIGHUP): new connections get this certificate and these
   * client CAs. Open connections keep the identity they were verified with. The new context has new
   * session ticket keys and, when the trust material changed, a new session-id context, so a session
   * made under the old CAs does not resume (hostile-input.md class 4).
   */
  replaceTlsMaterial(
    material: TlsServerMaterial,
    trustedCas: readonly X509Certificate[],
    legacyCaFingerprints?: ReadonlySet<string>,
  ): void {
    if (this.#options.snapshots !== undefined || this.#single === undefined) {
      throw new Error('replaceTlsMaterial is for the single-host listener; the multi-host one follows its snapshots');
    }
    this.#single.setSecureContext(buildTlsServerOptions(material, this.#options));
    this.#trust = singleHostTrust(material, trustedCas, legacyCaFingerprints);
    this.#shareTicketKeys();
    this.#trustReplacedAt = Date.now();
  }

  /**
   * With several workers, the single-host server's ticket keys come from the shared secret and its
   * trust (session-ticket-keys.ts): a session resumes on any worker, and not after the client CAs
   * changed (a new trust id derives new keys, as a new context's random keys did).
   */
  #shareTicketKeys(): void {
    const secret = this.#options.ticketSecret;
    if (secret !== undefined) this.#single?.setTicketKeys(deriveTicketKeys(secret, this.#trust.trustId));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  start(): Promise<AddressInfo> {
    const { listen } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = this.#guard.listenOnce(
        this.#tls,
        'error',
        'connection',
        undefined,
        (error: NodeJS.ErrnoException) => {
          reject(GW_ERR_LISTEN_FAILED.create(`${formatListenAddress(listen)} (${error.code ?? error.message})`, error));
        },
      );
      this.#tls.listen(listen.port, listen.host, () => {
        this.#tls.off('error', onError);
        resolve(this.#tls.address() as AddressInfo);
      });
    });
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** Connections open now, handshakes in progress included (what the caps count). */
  get openConnections(): number {
    return this.#gate.openConnections;
  }

  /** Stops accepting and lets in-flight requests finish, for at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    this.#options.handler.draining = true;
    const closed = new Promise<void>((resolve) => this.#tls.close(() => resolve()));
    for (const session of this.#sessions) session.close();
    const deadline = Date.now() + timeoutMs;
    while (this.#sockets.size > 0 && Date.now() < deadline) {
      for (const connection of this.#http1Connections) connection.closeIfIdle();
      await sleep(50);
    }
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

/** The single-host listener's trust: its CAs, their compatibility, and an id that changes with either. */
function singleHostTrust(
  material: TlsServerMaterial,
  trustedCas: readonly X509Certificate[],
  legacyCaFingerprints: ReadonlySet<string> = new Set(),
): ClientTrust {
  const legacy = [...legacyCaFingerprints].sort().join(',');
  return { trustedCas, legacyCaFingerprints, trustId: `${trustContextId(material)}|legacy:${legacy}` };
}
