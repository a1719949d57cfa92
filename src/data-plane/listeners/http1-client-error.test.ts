import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientErrorAnswer, clientErrorResponse } from './http1-client-error.ts';

test('parser errors map to 431, 408 or a 400 naming the problem; socket errors get no answer', () => {
  assert.equal(clientErrorAnswer('HPE_HEADER_OVERFLOW')?.httpStatus, 431);
  assert.equal(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT')?.httpStatus, 408);
  assert.match(clientErrorAnswer('HPE_UNEXPECTED_CONTENT_LENGTH')?.message ?? '', /more than one Content-Length/);
  assert.match(clientErrorAnswer('HPE_SOMETHING_NEW')?.message ?? '', /malformed HTTP\/1\.1 request/);
  assert.equal(clientErrorAnswer('HPE_INVALID_CHUNK_SIZE')?.httpStatus, 400);
  assert.equal(clientErrorAnswer('ECONNRESET'), undefined);
  assert.equal(clientErrorAnswer(undefined), undefined);
});

test('the response is complete: status line, JSON length, Connection: close', () => {
  const response = clientErrorResponse(clientErrorAnswer('HPE_HEADER_OVERFLOW')!);
  const [head, body] = response.split('\r\n\r\n') as [string, string];
  assert.match(head, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(head, /\r\nconnection: close$/);
  assert.match(head, new RegExp(`content-length: ${Buffer.byteLength(body)}\\r\\n`));
  assert.equal(JSON.parse(body).error.code, 'GW_ERR_REQUEST_HEADERS_TOO_LARGE');
});
