/**
 * Renders every failure of the admin API as a v4 envelope with a stable code: our GatewayErrors,
 * schema validation errors, body limits, unknown routes, the store failing (503, see
 * store/store-failure.ts for which failure is which). Internal errors are logged with the request
 * id and answered as GW_ERR_INTERNAL, without a stack trace or detail.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminApp } from './admin-app.ts';
import {
  GatewayError,
  GW_ERR_API_BODY_TOO_LARGE,
  GW_ERR_API_ROUTE_NOT_FOUND,
  GW_ERR_API_UNSUPPORTED_MEDIA,
  GW_ERR_API_VALIDATION,
  GW_ERR_INTERNAL,
  GW_ERR_STORE_NO_SPACE,
  GW_ERR_STORE_OUTCOME_UNKNOWN,
  GW_ERR_STORE_UNAVAILABLE,
  type ErrorDefinition,
} from '../errors/index.ts';
import { classifyStoreFailure, describeStoreFailure, type StoreFailureKind } from '../store/store-failure.ts';
import { failure } from './envelope.ts';

/**
 * How each kind of store failure is answered: all 503, a status clients and load balancers treat as
 * "try again later". Retry-After: a PostgreSQL restart takes a second or two; freeing disk space
 * takes an operator. A write whose outcome is unknown must not be retried blindly (x-should-retry:
 * false stops the Cloudflare SDK's automatic retry of 5xx).
 */
const STORE_FAILURE_ANSWERS: Record<
  StoreFailureKind,
  { message: string; v4Code: number; retryAfterSeconds?: number; shouldRetry: boolean }
> = {
  unavailable: {
    message: GW_ERR_STORE_UNAVAILABLE.create('retry in a moment').message,
    v4Code: GW_ERR_STORE_UNAVAILABLE.v4Code,
    retryAfterSeconds: 1,
    shouldRetry: true,
  },
  no_space: {
    message: GW_ERR_STORE_NO_SPACE.create('nothing was written').message,
    v4Code: GW_ERR_STORE_NO_SPACE.v4Code,
    retryAfterSeconds: 60,
    shouldRetry: false,
  },
  outcome_unknown: {
    message: GW_ERR_STORE_OUTCOME_UNKNOWN.message,
    v4Code: GW_ERR_STORE_OUTCOME_UNKNOWN.v4Code,
    shouldRetry: false,
  },
};
/** While the store is down every request fails: one log line per kind per this interval. */
const STORE_FAILURE_LOG_INTERVAL_MS = 10_000;

function send(
  reply: FastifyReply,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): FastifyReply {
  // Deterministic failures must not be retried by the SDK (it retries 409 and 5xx): say so.
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('x-should-retry', 'false')
    .headers(headers)
    .send(failure([{ code, message }]));
}

function sendDefinition(
  reply: FastifyReply,
  definition: Pick<ErrorDefinition, 'httpStatus' | 'v4Code'>,
  message: string,
): FastifyReply {
  return send(reply, definition.httpStatus, definition.v4Code, message);
}

export function installErrorHandling(app: AdminApp, bodyLimitText: string): void {
  const lastStoreFailureLog = new Map<StoreFailureKind, number>();
  const suppressedStoreFailures = new Map<StoreFailureKind, number>();
  app.setNotFoundHandler((_request, reply) =>
    sendDefinition(reply, GW_ERR_API_ROUTE_NOT_FOUND, GW_ERR_API_ROUTE_NOT_FOUND.message),
  );
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof GatewayError) return send(reply, error.httpStatus, error.v4Code, error.message);
    const storeFailure = classifyStoreFailure(error);
    if (storeFailure !== undefined) {
      const now = Date.now();
      if (now - (lastStoreFailureLog.get(storeFailure) ?? -Infinity) >= STORE_FAILURE_LOG_INTERVAL_MS) {
        lastStoreFailureLog.set(storeFailure, now);
        const suppressed = suppressedStoreFailures.get(storeFailure) ?? 0;
        suppressedStoreFailures.set(storeFailure, 0);
        request.log.warn(
          { kind: storeFailure, err: describeStoreFailure(error), suppressed },
          'admin API: store failure',
        );
      } else {
        suppressedStoreFailures.set(storeFailure, (suppressedStoreFailures.get(storeFailure) ?? 0) + 1);
      }
      const answer = STORE_FAILURE_ANSWERS[storeFailure];
      return send(reply, 503, answer.v4Code, answer.message, {
        'x-should-retry': String(answer.shouldRetry),
        ...(answer.retryAfterSeconds === undefined ? {} : { 'retry-after': String(answer.retryAfterSeconds) }),
      });
    }
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const where = first?.instancePath
        ? first.instancePath.replace(/^\//, '').replaceAll('/', '.')
        : (error.validationContext ?? 'request');
      const detail = first === undefined ? error.message : `${where} ${first.message ?? 'is invalid'}`;
      return sendDefinition(reply, GW_ERR_API_VALIDATION, GW_ERR_API_VALIDATION.create(detail).message);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendDefinition(
          reply,
          GW_ERR_API_BODY_TOO_LARGE,
          GW_ERR_API_BODY_TOO_LARGE.create(bodyLimitText).message,
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendDefinition(reply, GW_ERR_API_UNSUPPORTED_MEDIA, GW_ERR_API_UNSUPPORTED_MEDIA.message);
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendDefinition(
          reply,
          GW_ERR_API_VALIDATION,
          GW_ERR_API_VALIDATION.create('body is not valid JSON').message,
        );
      default:
        break;
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendDefinition(reply, GW_ERR_API_VALIDATION, GW_ERR_API_VALIDATION.create('malformed request').message);
    }
    // The message and code only: stack traces stay out of logs as well as responses.
    request.log.error({ err: { message: error.message, code: error.code } }, 'admin API internal error');
    return sendDefinition(reply, GW_ERR_INTERNAL, GW_ERR_INTERNAL.message);
  });
}
