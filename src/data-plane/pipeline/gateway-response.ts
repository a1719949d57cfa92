/**
 * Answers from the gateway itself: JSON `{"error":{"code","message"}}` with the registry's status,
 * never a stack trace or verification detail, written straight to a socket or through the pipeline's
 * response sink; and, inside the pipeline, a custom rule's block (Cloudflare's custom response, else
 * our JSON 403) and refusals that carry headers (429 with Retry-After and X-RateLimit-*). gRPC callers
 * get a trailers-only response with the matching grpc-status instead (gRPC over HTTP/2 spec: errors
 * are carried in trailers, HTTP 200).
 */
import type { ServerHttp2Stream } from 'node:http2';
import { GW_ERR_RULE_BLOCKED } from '../../errors/index.ts';
import type { CustomRuleRuntime } from '../../runtime-config/zone-runtime.ts';
import { BODY_FOLLOWS, type ResponseSink } from '../upstream/exchange.ts';
import type { MtlsStatus } from './mtls-status.ts';
import { withStatus } from './mtls-status-answer.ts';

export interface PublicError {
  readonly code: string;
  readonly httpStatus: number;
  readonly message: string;
  /** The request's mTLS status (mtls-status.ts), on refusals where the client certificate matters. */
  readonly mtlsStatus?: MtlsStatus;
}

export function errorBody(error: PublicError): string {
  // A trailing newline keeps a terminal prompt off the end of the message (curl prints the body as is).
  const mtls = error.mtlsStatus === undefined ? {} : { mtls_status: error.mtlsStatus };
  return JSON.stringify({ error: { code: error.code, message: error.message, ...mtls } }) + '\n';
}

/** gRPC status for a gateway HTTP status (grpc/doc/http-grpc-status-mapping.md, reversed). */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 431: // metadata too large: what gRPC servers answer themselves
      return 8; // RESOURCE_EXHAUSTED
    case 421: // misdirected: the client should retry on a connection for that host
    case 502:
    case 503:
      return 14; // UNAVAILABLE
    case 504:
      return 4; // DEADLINE_EXCEEDED
    default:
      return 13; // INTERNAL
  }
}

/**
 * Whether an HTTP/2 request is a gRPC call, from its content type. Only HTTP/2 requests are asked:
 * gRPC exists only over HTTP/2 ("gRPC over HTTP/2", grpc/doc/PROTOCOL-HTTP2.md), so an HTTP/1.1
 * request is an ordinary request whatever its content type, proxied over HTTP/1.1 like any other.
 * (Taken for gRPC, it went to the HTTP/2 forwarder, and to an http:// upstream got a 502 for what
 * the client sent.)
 */
export function isGrpcCall(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && contentType.startsWith('application/grpc');
}

/** `grpc`: the request is a gRPC call, answered with status 200 and `grpc-status` (gRPC over HTTP/2 protocol). */
export function sendHttp2Error(stream: ServerHttp2Stream, error: PublicError, { grpc }: { grpc: boolean }): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(0x2); // INTERNAL_ERROR (RFC 9113 §7)
    return;
  }
  if (grpc) {
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': String(grpcStatusFor(error.httpStatus)),
        'grpc-message': encodeURIComponent(`${error.code}: ${error.message}`),
      },
      { endStream: true },
    );
    return;
  }
  const body = errorBody(error);
  stream.respond({
    ':status': error.httpStatus,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  stream.end(body);
}

/**
 * Cloudflare's custom response when the rule has one; our JSON 403 otherwise (gRPC: status 7), which says the
 * request's mTLS status when the hostname asks for a certificate (README 'What a refused client is told').
 */
export function answerBlocked(
  rule: CustomRuleRuntime,
  grpc: boolean,
  sink: ResponseSink,
  mtlsStatus?: MtlsStatus,
): void {
  const response = rule.response;
  if (response === undefined || grpc) {
    sink.fail(mtlsStatus === undefined ? GW_ERR_RULE_BLOCKED : withStatus(GW_ERR_RULE_BLOCKED, mtlsStatus));
    return;
  }
  const body = sink.start(
    response.status,
    {
      'content-type': response.contentType,
      'content-length': String(Buffer.byteLength(response.body)),
      'cache-control': 'no-store',
    },
    BODY_FOLLOWS,
  );
  body?.end(response.body);
}

/** A JSON refusal that carries headers (Retry-After, X-RateLimit-*); gRPC callers get the status only. */
export function refuseWithHeaders(
  sink: ResponseSink,
  error: PublicError,
  headers: Record<string, string>,
  grpc: boolean,
): void {
  if (grpc) {
    sink.fail(error);
    return;
  }
  const body = errorBody(error);
  sink
    .start(
      error.httpStatus,
      {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'cache-control': 'no-store',
      },
      BODY_FOLLOWS,
    )
    ?.end(body);
}
