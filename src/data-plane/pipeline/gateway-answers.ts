/**
 * Answers the gateway makes itself inside the pipeline: a custom rule's block (Cloudflare's custom
 * response, else our JSON 403) and a refusal that carries headers (429 with Retry-After and
 * X-RateLimit-*). gRPC callers get the status only, as a gRPC status.
 */
import { GW_ERR_RULE_BLOCKED } from '../../errors/index.ts';
import type { CustomRuleRuntime } from '../../runtime-config/zone-runtime.ts';
import { errorBody, type PublicError } from './gateway-response.ts';
import type { MtlsStatus } from './mtls-status.ts';
import { withStatus } from './mtls-status-answer.ts';
import type { ResponseSink } from '../upstream/exchange.ts';

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
    false,
    false,
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
      false,
      false,
    )
    ?.end(body);
}
