/**
 * Renders every failure of the admin API as a v4 envelope with a stable code: our GatewayErrors,
 * schema validation errors, body limits, unknown routes. Internal errors are logged with the
 * request id and answered as GW_ERR_INTERNAL, without a stack trace or detail.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminApp } from './build-admin-api.ts';
import {
  GatewayError,
  GW_ERR_API_BODY_TOO_LARGE,
  GW_ERR_API_ROUTE_NOT_FOUND,
  GW_ERR_API_UNSUPPORTED_MEDIA,
  GW_ERR_API_VALIDATION,
  GW_ERR_INTERNAL,
  type ErrorDefinition,
} from '../errors/index.ts';
import { failure } from './envelope.ts';

function send(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  // Deterministic failures must not be retried by the SDK (it retries 409 and 5xx): say so.
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('x-should-retry', 'false')
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
  app.setNotFoundHandler((_request, reply) =>
    sendDefinition(reply, GW_ERR_API_ROUTE_NOT_FOUND, GW_ERR_API_ROUTE_NOT_FOUND.message),
  );
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof GatewayError) return send(reply, error.httpStatus, error.v4Code, error.message);
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
