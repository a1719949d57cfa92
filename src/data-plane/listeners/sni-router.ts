/**
 * SniRouter: one listening socket, one TLS server per trust set (hostile-input.md classes 4, 5).
 *
 *   net.Server ─▶ peek ClientHello SNI (client-hello-sni.ts)
 *                 └▶ snapshot.resolve(SNI) = HostPolicy ──▶ the TLS server of (hostname, trustId)
 *                                                         (own ticket keys, own session-id context)
 *
 * Why not tls.Server + SNICallback: on Node 20 the SNI callback runs from OpenSSL's certificate
 * callback, which OpenSSL skips on resumption, and Node never calls SSL_set_SSL_CTX, so a per-host
 * context's sessionIdContext is never applied: a ticket (TLS 1.2 or 1.3) made for host A resumes
 * with SNI host B and no certificate, whatever the contexts say (reproduced; test/multi-host-tls).
 * With one TLS server per trust set, a ticket of another trust set cannot be decrypted, so the
 * handshake is a full one against the new host's CAs. The policy is chosen before TLS starts, and
 * the TLS server a socket completes its handshake on IS its policy (one server per hostname policy
 * and trust set), so neither `socket.servername` (false on resumed TLS 1.2, nodejs/node #28985)
 * nor any private TLSSocket field is consulted.
 *
 * A swap that changes a host's trust set (CA added/removed, edge certificate, client-auth mode)
 * yields a new trustId, hence a new TLS server with fresh ticket keys: old sessions do not resume.
 * A swap that only changes revocations keeps the server (and sessions): revocation is per request.
 */
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { GatewaySnapshot, HostPolicy, SnapshotHolder } from '../../runtime-config/gateway-snapshot.ts';
import { peekServerName } from './client-hello-sni.ts';
import {
  buildTlsServerOptions,
  HANDSHAKE_TIMEOUT_MS,
  handshakeFailureReason,
  type TlsSessionSettings,
} from './tls-server-options.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';
import { clientTrustContext, deriveTicketKeys } from './session-ticket-keys.ts';

export interface AcceptedConnection {
  /** The policy whose TLS server completed the handshake. */
  readonly policy: HostPolicy;
  /** The snapshot current when the handshake completed. */
  readonly snapshot: GatewaySnapshot;
}

export interface SniRouterEvents {
  /** At TCP accept, before any byte is read: false refuses the connection (the callee closed it). */
  admit(socket: net.Socket): boolean;
  secureConnection(socket: TLSSocket, accepted: AcceptedConnection): void;
  /** A failed handshake or ClientHello, by code only (hostile-input.md class 9: never touch the socket). */
  clientError(code: string): void;
}

export class SniRouter {
  readonly server: net.Server;
  readonly #holder: SnapshotHolder;
  readonly #events: SniRouterEvents;
  /** TLS servers of the policies of the current snapshot, by `hostname/trustId`. */
  #tlsServers = new Map<string, tls.Server>();
  #serversOf: GatewaySnapshot | undefined;
  readonly #session: TlsSessionSettings;
  readonly #guard: FaultGuard;

  constructor(holder: SnapshotHolder, events: SniRouterEvents, guard: FaultGuard, session: TlsSessionSettings = {}) {
    this.#holder = holder;
    this.#events = events;
    this.#guard = guard;
    this.#session = session;
    this.server = net.createServer();
    guard.listenEach(
      this.server,
      'connection',
      'client_hello',
      (socket: net.Socket) => socket,
      (socket: net.Socket) => {
        if (events.admit(socket)) this.#peek(socket);
      },
    );
  }

  #peek(socket: net.Socket): void {
    const guard = this.#guard;
    let buffered: Buffer = Buffer.alloc(0);
    const fail = (code: string): void => {
      cleanup();
      this.#events.clientError(code);
      socket.destroy();
    };
    const onData = guard.listen(socket, 'data', 'client_hello', socket, (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const peek = peekServerName(buffered);
      if (peek.kind === 'need-more') return;
      if (peek.kind === 'invalid') {
        fail('ERR_CLIENT_HELLO_INVALID');
        return;
      }
      cleanup();
      socket.pause();
      socket.unshift(buffered);
      this.#handOver(socket, peek.servername);
    });
    const onEnd = guard.listenOnce(socket, 'end', 'client_hello', socket, () => fail('ERR_CLIENT_HELLO_INCOMPLETE'));
    const onError = guard.listenOnce(socket, 'error', 'client_hello', socket, () => fail('ECONNRESET'));
    const timer = guard.timeout(HANDSHAKE_TIMEOUT_MS, 'client_hello', socket, () => fail('ERR_CLIENT_HELLO_TIMEOUT'));
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
  }

  #handOver(socket: net.Socket, servername: string | undefined): void {
    const snapshot = this.#holder.current();
    // The TLS socket reads what was unshifted first (node:_tls_wrap "already has some buffered data").
    this.#serverFor(snapshot, snapshot.resolve(servername)).emit('connection', socket);
  }

  #serverFor(snapshot: GatewaySnapshot, policy: HostPolicy): tls.Server {
    if (this.#serversOf !== snapshot) this.#prune(snapshot);
    const key = serverKey(policy);
    let server = this.#tlsServers.get(key);
    if (server === undefined) {
      server = this.#createServer(policy);
      this.#tlsServers.set(key, server);
    }
    return server;
  }

  /** Drops the TLS servers of policies the new snapshot no longer has (their ticket keys with them). */
  #prune(snapshot: GatewaySnapshot): void {
    const live = new Set<string>();
    for (const policy of snapshot.policies()) live.add(serverKey(policy));
    for (const key of this.#tlsServers.keys()) if (!live.has(key)) this.#tlsServers.delete(key);
    this.#serversOf = snapshot;
  }

  #createServer(policy: HostPolicy): tls.Server {
    const options = buildTlsServerOptions(
      { certPem: policy.certPem, keyPem: policy.keyPem, clientCaPems: policy.clientCaPems },
      this.#session,
    );
    // A host without client CAs does not ask for a certificate (and must not verify against Node's
    // default root store, which is what an empty `ca` would mean).
    if (policy.clientAuth === 'none') {
      options.requestCert = false;
      delete options.ca;
    }
    options.sessionIdContext = policy.trustId;
    if (this.#session.ticketSecret !== undefined) {
      // Each worker issues its own edge certificates, and the trustId hashes the server certificate
      // too: across workers the session context is the client trust alone (session-ticket-keys.ts).
      const context = clientTrustContext(policy);
      options.sessionIdContext = context;
      options.ticketKeys = deriveTicketKeys(this.#session.ticketSecret, context);
    }
    const server = tls.createServer(options);
    this.#guard.listenEach(
      server,
      'secureConnection',
      'tls_accept',
      (socket: TLSSocket) => socket,
      (socket: TLSSocket) => this.#events.secureConnection(socket, { policy, snapshot: this.#holder.current() }),
    );
    // The failed socket is never a fault target: TLS state of a failed handshake is not touched.
    this.#guard.listenEach(
      server,
      'tlsClientError',
      'connection',
      () => undefined,
      (error: NodeJS.ErrnoException) => this.#events.clientError(handshakeFailureReason(error)),
    );
    return server;
  }
}

function serverKey(policy: HostPolicy): string {
  return `${policy.hostname}/${policy.trustId}`;
}
