/**
 * GatewayRequestHandler: what `portcullis serve`'s listener does with a request. Public PKI paths
 * (CA certificate, CRL, OCSP) are answered without a client certificate on any host. Everything
 * else is checked against the connection's host policy in the current snapshot (421 when Host /
 * :authority is not the connection's host; 401/403 when the host requires a certificate) and then
 * routed — until routes exist (issue 4) it answers 404 GW_ERR_ROUTE_NOT_FOUND.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Logger } from 'pino';
import { GW_ERR_INTERNAL, GW_ERR_ROUTE_NOT_FOUND } from '../errors/index.ts';
import type { PublicPki } from '../runtime-config/public-pki.ts';
import type { SnapshotHolder } from '../runtime-config/gateway-snapshot.ts';
import { decideHostRequest } from './host-decision.ts';
import type { ConnectionIdentity } from './connection-identity.ts';
import { isGrpcContentType, sendHttp1Error, sendHttp2Error } from './gateway-response.ts';
import type { RequestHandler } from './mtls-listener.ts';
import { answerPublicPki, isPublicPkiPath, type PkiResult } from './public-pki-handler.ts';
import { readBoundedBody } from './read-bounded-body.ts';

export class GatewayRequestHandler implements RequestHandler {
  readonly #pki: PublicPki;
  readonly #snapshots: SnapshotHolder;
  readonly #logger: Logger;
  draining = false;

  constructor(pki: PublicPki, snapshots: SnapshotHolder, logger: Logger) {
    this.#pki = pki;
    this.#snapshots = snapshots;
    this.#logger = logger;
  }

  handleHttp1(req: IncomingMessage, res: ServerResponse, identity: ConnectionIdentity): void {
    const url = req.url ?? '';
    if (!isPublicPkiPath(url)) {
      const decision = decideHostRequest(identity, req.headers.host, this.#snapshots.current());
      sendHttp1Error(res, decision.error ?? GW_ERR_ROUTE_NOT_FOUND, decision.error !== undefined);
      return;
    }
    this.#answer(
      answerPublicPki(this.#pki, req.method ?? 'GET', url, (limit) => readBoundedBody(req, limit)),
      (result) => {
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
      },
    );
  }

  handleHttp2(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    _flags: number,
    identity: ConnectionIdentity,
  ): void {
    const path = headers[':path'] ?? '';
    const grpc = isGrpcContentType(headers['content-type']);
    if (!isPublicPkiPath(path)) {
      const decision = decideHostRequest(identity, headers[':authority'] ?? headers.host, this.#snapshots.current());
      sendHttp2Error(stream, decision.error ?? GW_ERR_ROUTE_NOT_FOUND, grpc);
      return;
    }
    const method = headers[':method'] ?? 'GET';
    this.#answer(
      answerPublicPki(this.#pki, method, path, (limit) => readBoundedBody(stream, limit)),
      (result) => {
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
      },
    );
  }

  #answer(result: Promise<PkiResult>, send: (result: PkiResult) => void): void {
    result.then(send, (error: unknown) => {
      this.#logger.error({ err: (error as Error).message }, 'public PKI request failed');
      send(GW_ERR_INTERNAL);
    });
  }
}
