/**
 * GatewayRequestHandler: what `portcullis serve`'s listener does with a request (DESIGN.md §4).
 * Public PKI paths (CA certificate, CRL, OCSP) are answered without a client certificate on any
 * host. Everything else goes through one pipeline for both client protocols, reading only the
 * current snapshot (no store read):
 *
 *   host check: Host / :authority belongs to the connection's SNI policy     ─✗ 421
 *     └ custom rules of the zone (compiled closures)                         ─✗ 403 or custom response
 *       └ route: hostname + longest path prefix                              ─✗ 404
 *         └ upstream headers: strip client-sent identity, set the zone's verified identity headers
 *           └ proxy HTTP/1.1, HTTP/2, gRPC                                    ─✗ 502 / 504
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import {
  GW_ERR_INTERNAL,
  GW_ERR_REQUEST_INVALID,
  GW_ERR_ROUTE_NOT_FOUND,
  GW_ERR_RULE_BLOCKED,
} from '../errors/index.ts';
import type { IdentityFormat } from '../config/identity-formats.ts';
import type { PublicPki } from '../runtime-config/public-pki.ts';
import type { SnapshotHolder } from '../runtime-config/gateway-snapshot.ts';
import type { RuleHitCounters } from '../runtime-config/rule-hits.ts';
import { upstreamPath } from '../runtime-config/route-table.ts';
import type { CustomRuleRuntime } from '../runtime-config/zone-runtime.ts';
import { authorityHost, decideHostRequest, type HostDecision } from './host-decision.ts';
import type { ConnectionIdentity } from './connection-identity.ts';
import { isGrpcContentType, sendHttp1Error, sendHttp2Error } from './gateway-response.ts';
import type { RequestHandler } from './mtls-listener.ts';
import { answerPublicPki, isPublicPkiPath, type PkiResult } from './public-pki-handler.ts';
import { readBoundedBody } from './read-bounded-body.ts';
import { RequestRuleContext, type RuleRequestInput } from './request-rule-context.ts';
import { runCustomRules } from './custom-rules-phase.ts';
import { GRPC_NEEDS_HTTP2, type UpstreamForwarders } from './upstream-forwarders.ts';
import { buildIdentityHeaders } from './identity-headers.ts';
import { buildUpstreamHeaders } from './proxy/upstream-headers.ts';
import { Http1Sink, Http2Sink } from './proxy/downstream-sinks.ts';
import type { ResponseSink } from './proxy/exchange.ts';
import { requestBodyOf } from './proxy/http2-request-body.ts';

export interface GatewayRequestHandlerOptions {
  readonly pki: PublicPki;
  readonly snapshots: SnapshotHolder;
  readonly forwarders: UpstreamForwarders;
  readonly ruleHits: RuleHitCounters;
  readonly logger: Logger;
}

/** One request, whichever protocol it came in on. */
interface GatewayRequest extends RuleRequestInput {
  /** Host header or :authority as sent. */
  readonly authority: string;
  readonly grpc: boolean;
  /** The request body, made on demand (HTTP/2 needs a PassThrough); null when there is none. */
  readonly body: () => Readable | null;
}

/** Upstream identity headers of one connection, for one (formats, verified, revoked) combination. */
interface IdentityHeadersMemo {
  readonly formats: readonly IdentityFormat[];
  readonly verified: boolean;
  readonly revoked: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

export class GatewayRequestHandler implements RequestHandler {
  readonly #options: GatewayRequestHandlerOptions;
  draining = false;

  constructor(options: GatewayRequestHandlerOptions) {
    this.#options = options;
  }

  handleHttp1(req: IncomingMessage, res: ServerResponse, identity: ConnectionIdentity): void {
    const url = req.url ?? '';
    if (isPublicPkiPath(url)) {
      this.#answerPki(req.method ?? 'GET', url, req, (result) => this.#sendPkiHttp1(req, res, result));
      return;
    }
    if (url.charCodeAt(0) !== 0x2f /* '/' */) {
      sendHttp1Error(res, GW_ERR_REQUEST_INVALID.create('request target must be origin-form'), true);
      return;
    }
    const headers = req.headers;
    const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
    const authority = headers.host ?? '';
    this.#serve(
      {
        host: authorityHost(authority),
        method: req.method ?? 'GET',
        target: url,
        version: 'HTTP/1.1',
        headers,
        rawHeaders: req.rawHeaders,
        clientAddress: req.socket.remoteAddress ?? '',
        socket: () => (req.socket instanceof TLSSocket ? req.socket : undefined),
        authority,
        grpc: isGrpcContentType(headers['content-type']),
        body: () => (hasBody ? req : null),
      },
      identity,
      (close) => new Http1Sink(res, close || this.draining),
    );
  }

  handleHttp2(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    flags: number,
    identity: ConnectionIdentity,
  ): void {
    const path = headers[':path'] ?? '';
    const method = headers[':method'] ?? 'GET';
    const grpc = isGrpcContentType(headers['content-type']);
    if (isPublicPkiPath(path)) {
      this.#answerPki(method, path, stream, (result) => this.#sendPkiHttp2(stream, method, grpc, result));
      return;
    }
    if (path.charCodeAt(0) !== 0x2f) {
      sendHttp2Error(stream, GW_ERR_REQUEST_INVALID.create(':path must be origin-form'), grpc);
      return;
    }
    const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const authority = headers[':authority'] ?? headers.host ?? '';
    // Read once: the session's socket is a Proxy, and every property read goes through it.
    const socket = stream.session?.socket as TLSSocket | undefined;
    this.#serve(
      {
        host: authorityHost(authority),
        method,
        target: path,
        version: 'HTTP/2',
        headers,
        rawHeaders: undefined,
        clientAddress: socket?.remoteAddress ?? '',
        socket: () => socket,
        authority,
        grpc,
        body: () => (endStream ? null : requestBodyOf(stream)),
      },
      identity,
      () => new Http2Sink(stream, grpc),
    );
  }

  #serve(request: GatewayRequest, identity: ConnectionIdentity, sinkFor: (close: boolean) => ResponseSink): void {
    const snapshot = this.#options.snapshots.current();
    const decision = decideHostRequest(identity, request.authority, snapshot);
    const policy = decision.policy;
    if (decision.error !== undefined || policy === undefined) {
      // A refused certificate or a misdirected request gets one clear answer, then the connection ends.
      this.#options.logger.info(
        { code: decision.error?.code, host: request.host, fingerprint: identity.fingerprint256 },
        'request refused',
      );
      sinkFor(true).fail(decision.error ?? GW_ERR_INTERNAL);
      return;
    }
    const zone = snapshot.zone(policy.zoneId);
    if (zone !== undefined && zone.customRules.length > 0) {
      const context = new RequestRuleContext(request, identity, decision.certVerified, decision.certRevoked);
      const blocked = runCustomRules(zone.customRules, context, this.#options.ruleHits, (rule) =>
        this.#logRuleHit(rule, request, identity, 'custom rule matched (log)'),
      );
      if (blocked !== undefined) {
        this.#logRuleHit(blocked, request, identity, 'request blocked by a custom rule');
        this.#block(blocked, request.grpc, sinkFor(false));
        return;
      }
    }
    const route = snapshot.routes.match(request.host, request.target);
    const sink = sinkFor(false);
    if (route === undefined || route.zoneId !== policy.zoneId) {
      sink.fail(GW_ERR_ROUTE_NOT_FOUND);
      return;
    }
    const forwarder = this.#options.forwarders.forwarderFor(route.upstream, request.grpc);
    if (forwarder === undefined) {
      sink.fail(GRPC_NEEDS_HTTP2);
      return;
    }
    forwarder.forward(
      {
        method: request.method,
        path: upstreamPath(route, request.target),
        authority: request.authority,
        headers: buildUpstreamHeaders(request.headers, {
          clientAddress: request.clientAddress,
          host: request.authority,
          identityHeaders: identityHeadersOf(identity, zone?.identityFormats ?? DEFAULT_FORMATS, decision),
          keepTeTrailers: request.grpc,
        }),
        body: request.body(),
      },
      sink,
    );
  }

  /** Cloudflare's custom response when the rule has one; our JSON 403 otherwise (gRPC: status 7). */
  #block(rule: CustomRuleRuntime, grpc: boolean, sink: ResponseSink): void {
    const response = rule.response;
    if (response === undefined || grpc) {
      sink.fail(GW_ERR_RULE_BLOCKED);
      return;
    }
    const body = sink.start(
      response.status,
      {
        'content-type': response.contentType,
        'content-length': String(Buffer.byteLength(response.body)),
        'cache-control': 'no-store',
      },
      false,
      false,
    );
    body?.end(response.body);
  }

  #logRuleHit(rule: CustomRuleRuntime, request: GatewayRequest, identity: ConnectionIdentity, message: string): void {
    this.#options.logger.info(
      {
        rulesetId: rule.rulesetId,
        ruleId: rule.ruleId,
        ref: rule.ref,
        action: rule.action,
        host: request.host,
        method: request.method,
        fingerprint: identity.fingerprint256,
        remoteAddress: request.clientAddress,
      },
      message,
    );
  }

  #answerPki(method: string, path: string, body: Readable, send: (result: PkiResult) => void): void {
    answerPublicPki(this.#options.pki, method, path, (limit) => readBoundedBody(body, limit)).then(
      send,
      (error: unknown) => {
        this.#options.logger.error({ err: (error as Error).message }, 'public PKI request failed');
        send(GW_ERR_INTERNAL);
      },
    );
  }

  #sendPkiHttp1(req: IncomingMessage, res: ServerResponse, result: PkiResult): void {
    if ('code' in result) {
      sendHttp1Error(res, result, this.draining);
      return;
    }
    res.writeHead(result.status, {
      'content-type': result.contentType,
      'content-length': Buffer.byteLength(result.body),
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : result.body);
  }

  #sendPkiHttp2(stream: ServerHttp2Stream, method: string, grpc: boolean, result: PkiResult): void {
    if ('code' in result) {
      sendHttp2Error(stream, result, grpc);
      return;
    }
    if (stream.destroyed) return;
    stream.respond({
      ':status': result.status,
      'content-type': result.contentType,
      'content-length': Buffer.byteLength(result.body),
      'cache-control': 'no-cache',
    });
    stream.end(method === 'HEAD' ? undefined : result.body);
  }
}

/** Zones without a managed-headers setting forward x-forwarded-client-cert (the `proxy` default). */
const DEFAULT_FORMATS: readonly IdentityFormat[] = Object.freeze(['xfcc']);

/** Built once per connection and kept while the zone's formats and the request verdict stay the same. */
function identityHeadersOf(
  identity: ConnectionIdentity,
  formats: readonly IdentityFormat[],
  decision: HostDecision,
): Readonly<Record<string, string>> {
  if (formats.length === 0) return NO_HEADERS;
  const memo = identity.memo as IdentityHeadersMemo | undefined;
  if (
    memo !== undefined &&
    memo.formats === formats &&
    memo.verified === decision.certVerified &&
    memo.revoked === decision.certRevoked
  ) {
    return memo.headers;
  }
  const headers = buildIdentityHeaders(
    {
      presented: decision.certPresented,
      verified: decision.certVerified,
      revoked: decision.certRevoked,
      fields: identity.fields(),
      chainDer: identity.chain.map((cert) => cert.raw),
    },
    formats,
  );
  const next: IdentityHeadersMemo = {
    formats,
    verified: decision.certVerified,
    revoked: decision.certRevoked,
    headers,
  };
  identity.memo = next;
  return headers;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
