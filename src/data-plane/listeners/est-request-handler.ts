/**
 * EST on the gateway listener (RFC 7030 §3.2.2: `/.well-known/est/[<label>/]<operation>`, docs/adr/0016).
 * The data plane only frames the request: which zone the current snapshot gives the requested host
 * (the one the connection was accepted for: no coalescing onto another host), the bounded body, the
 * client's certificates and the connection's channel bindings. The control plane, through the
 * runtime-config EstEndpoint, decides and answers. No client certificate is required to reach it:
 * a device enrolling with a bootstrap secret has none yet.
 *
 * Every continuation goes through the FaultGuard (ADR 0011), stage `est`.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import {
  GW_ERR_EST_BODY_TOO_LARGE,
  GW_ERR_EST_NOT_FOUND,
  GW_ERR_EST_REQUEST_INVALID,
  GW_ERR_INTERNAL,
  GW_ERR_METHOD_NOT_ALLOWED,
  GW_ERR_MISDIRECTED_REQUEST,
} from '../../errors/index.ts';
import { parseEstPath } from '../../est/est-path.ts';
import { MAX_EST_BODY_BYTES } from '../../est/est-body.ts';
import { TLS_EXPORTER_LABEL, TLS_EXPORTER_LENGTH, type ChannelBindings } from '../../est/channel-binding.ts';
import type { EstEndpoint, EstRequest, EstResult } from '../../runtime-config/est-endpoint.ts';
import type { SnapshotHolder } from '../../runtime-config/gateway-snapshot.ts';
import type { ConnectionIdentity } from './connection-identity.ts';
import { authorityHost } from '../pipeline/host-decision.ts';
import { errorBody, type PublicError } from '../pipeline/gateway-response.ts';
import { readBoundedBody } from './read-bounded-body.ts';
import type { FaultGuard, FaultTarget } from '../guard/fault-guard.ts';
import type { Http1Exchange } from './h1/http1-exchange.ts';

export { isEstPath } from '../../est/est-path.ts';

interface Framed {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
  readonly socket: TLSSocket | undefined;
  readonly clientAddress: string;
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | number>;
  readonly body: Buffer | string;
  /** The body was not read: the connection cannot be reused. */
  readonly close: boolean;
}

export class EstRequestHandler {
  readonly #endpoint: EstEndpoint;
  readonly #snapshots: SnapshotHolder;
  readonly #guard: FaultGuard;
  readonly #logger: Logger;

  constructor(endpoint: EstEndpoint, snapshots: SnapshotHolder, guard: FaultGuard, logger: Logger) {
    this.#endpoint = endpoint;
    this.#snapshots = snapshots;
    this.#guard = guard;
    this.#logger = logger;
  }

  /** HTTP/1.1 (ADR 0022). */
  handleHttp1(exchange: Http1Exchange, identity: ConnectionIdentity): void {
    const framed: Framed = {
      method: exchange.method,
      path: exchange.target,
      authority: exchange.headers.host ?? '',
      headers: exchange.headers,
      body: exchange.body() ?? Readable.from([]),
      socket: exchange.socket,
      clientAddress: exchange.socket.remoteAddress ?? '',
    };
    this.#serve(framed, identity, exchange, (reply) => {
      if (exchange.headersSent || exchange.closed) return;
      // A HEAD answer carries no body: the exchange drops it.
      exchange.writeHead(reply.status, reply.headers, reply.close);
      exchange.end(reply.body);
    });
  }

  handleHttp2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, identity: ConnectionIdentity): void {
    const socket = stream.session?.socket as TLSSocket | undefined;
    const method = headers[':method'] ?? 'GET';
    const framed: Framed = {
      method,
      path: headers[':path'] ?? '',
      authority: headers[':authority'] ?? headers.host ?? '',
      headers,
      body: stream,
      socket,
      clientAddress: socket?.remoteAddress ?? '',
    };
    this.#serve(framed, identity, stream, (reply) => {
      if (stream.destroyed || stream.closed || stream.headersSent) return;
      stream.respond({ ':status': reply.status, ...reply.headers });
      stream.end(method === 'HEAD' ? undefined : reply.body);
    });
  }

  #serve(framed: Framed, identity: ConnectionIdentity, target: FaultTarget, send: (reply: Reply) => void): void {
    const path = parseEstPath(framed.path);
    if (path === undefined) {
      send(errorReply(GW_ERR_EST_NOT_FOUND.create('unknown EST operation'), {}, false));
      return;
    }
    const handler = this.#endpoint.handler;
    const host = authorityHost(framed.authority);
    const accepted = identity.accepted?.policy;
    const policy = this.#snapshots.current().lookup(host);
    if (handler === undefined || policy === undefined || policy.zoneId === undefined) {
      send(errorReply(GW_ERR_EST_NOT_FOUND.create(`EST is not turned on for ${host || 'this host'}`), {}, false));
      return;
    }
    // The hostname the connection's TLS was made for, as for any request (RFC 9110 §15.5.20).
    if (accepted === undefined || accepted.hostname !== policy.hostname) {
      send(errorReply(GW_ERR_MISDIRECTED_REQUEST, {}, true));
      return;
    }
    const enroll = path.operation === 'simpleenroll' || path.operation === 'simplereenroll';
    const allowed = enroll ? framed.method === 'POST' : framed.method === 'GET' || framed.method === 'HEAD';
    if (!allowed) {
      send(errorReply(GW_ERR_METHOD_NOT_ALLOWED, { allow: enroll ? 'POST' : 'GET, HEAD' }, enroll));
      return;
    }
    const declared = Number(framed.headers['content-length'] ?? '0');
    if (enroll && Number.isFinite(declared) && declared > MAX_EST_BODY_BYTES) {
      send(errorReply(GW_ERR_EST_BODY_TOO_LARGE.create(`${MAX_EST_BODY_BYTES / 1024} KiB`), {}, true));
      return;
    }
    const request = (body: Buffer | undefined): EstRequest => ({
      path,
      method: framed.method,
      host,
      zoneId: policy.zoneId ?? '',
      contentType: headerText(framed.headers['content-type']),
      authorization: headerText(framed.headers.authorization),
      body,
      clientCertificate:
        identity.leaf === undefined
          ? undefined
          : { leaf: identity.leaf.raw, chain: identity.chain.map((certificate) => certificate.raw) },
      channelBindings: enroll ? channelBindingsOf(framed.socket) : {},
      clientAddress: framed.clientAddress,
    });
    const answer = (body: Buffer | undefined): void => {
      this.#guard.settle(
        handler(request(body)),
        'est',
        target,
        (result) => send(replyOf(result)),
        (error: unknown) => {
          // The handler answers every client mistake itself: what reaches here is ours.
          this.#logger.error({ err: (error as Error).message, host }, 'EST request failed');
          send(errorReply(GW_ERR_INTERNAL, {}, false));
        },
      );
    };
    if (!enroll) {
      answer(undefined);
      return;
    }
    this.#guard.settle(
      readBoundedBody(framed.body, MAX_EST_BODY_BYTES, this.#guard, 'est', target),
      'est',
      target,
      (body) => {
        if (body === undefined)
          send(errorReply(GW_ERR_EST_BODY_TOO_LARGE.create(`${MAX_EST_BODY_BYTES / 1024} KiB`), {}, true));
        else answer(body);
      },
      () => send(errorReply(GW_ERR_EST_REQUEST_INVALID.create('the request body could not be read'), {}, true)),
    );
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * tls-unique (RFC 5929 §3.1: the first Finished of the latest handshake: the client's in a full
 * handshake, the server's in a resumed one; TLS 1.2 only) and tls-exporter (RFC 9266).
 */
function channelBindingsOf(socket: TLSSocket | undefined): ChannelBindings {
  if (socket === undefined) return {};
  try {
    const tls12 = socket.getProtocol() === 'TLSv1.2';
    return {
      tlsUnique: tls12 ? (socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished()) : undefined,
      tlsExporter: socket.exportKeyingMaterial(TLS_EXPORTER_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0)),
    };
  } catch {
    return {};
  }
}

function replyOf(result: EstResult): Reply {
  if ('error' in result) return errorReply(result.error, result.headers ?? {}, false);
  const body = result.body ?? '';
  return {
    status: result.status,
    headers: {
      ...(result.contentType === undefined ? {} : { 'content-type': result.contentType }),
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...result.headers,
    },
    body,
    close: false,
  };
}

function errorReply(error: PublicError, headers: Readonly<Record<string, string>>, close: boolean): Reply {
  const body = errorBody(error);
  return {
    status: error.httpStatus,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...headers,
    },
    body,
    close,
  };
}
