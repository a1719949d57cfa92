/**
 * GatewayRequestHandler: what `portcullis serve`'s listener does with a request. Public PKI paths
 * (CRL, OCSP) are answered without a client certificate; everything else is routed by the
 * multi-host data plane (issue 4) — until routes exist it answers 404 GW_ERR_ROUTE_NOT_FOUND.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Logger } from 'pino';
import { GW_ERR_INTERNAL, GW_ERR_ROUTE_NOT_FOUND } from '../errors/index.ts';
import type { PublicPki } from '../runtime-config/public-pki.ts';
import type { ConnectionIdentity } from './connection-identity.ts';
import { isGrpcContentType, sendHttp1Error, sendHttp2Error } from './gateway-response.ts';
import type { RequestHandler } from './mtls-listener.ts';
import { answerPublicPki, isPublicPkiPath, type PkiResult } from './public-pki-handler.ts';
import { readBoundedBody } from './read-bounded-body.ts';

export class GatewayRequestHandler implements RequestHandler {
  readonly #pki: PublicPki;
  readonly #logger: Logger;
  draining = false;

  constructor(pki: PublicPki, logger: Logger) {
    this.#pki = pki;
    this.#logger = logger;
  }

  handleHttp1(req: IncomingMessage, res: ServerResponse, _identity: ConnectionIdentity): void {
    const url = req.url ?? '';
    if (!isPublicPkiPath(url)) {
      sendHttp1Error(res, GW_ERR_ROUTE_NOT_FOUND);
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
    _identity: ConnectionIdentity,
  ): void {
    const path = headers[':path'] ?? '';
    const grpc = isGrpcContentType(headers['content-type']);
    if (!isPublicPkiPath(path)) {
      sendHttp2Error(stream, GW_ERR_ROUTE_NOT_FOUND, grpc);
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
