/**
 * What `portcullis proxy` reports of each request once it is over, for its access log and metrics
 * (app/proxy-observability.ts): when it started, the client certificate, method, path, status,
 * latency and bytes. Registered at the start of a request, so refused clients are reported too.
 *
 * Bytes in: the request body as read (chunked HTTP/1.1, HTTP/2 DATA), else its Content-Length.
 * Bytes out: HTTP/1.1, what the exchange wrote for this response (head and framed body); HTTP/2,
 * the body bytes sent (streams share the connection), else the declared Content-Length.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { ConnectionIdentity } from './connection-identity.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';
import type { Http2Sink } from '../upstream/downstream-sinks.ts';
import type { Http1Exchange } from './h1/http1-exchange.ts';
import { CLIENT_CLOSED_REQUEST } from './http1-gateway-request.ts';
/** Longer paths are cut: a log line stays a line, whatever a client sends. */
const MAX_LOGGED_PATH = 2048;

export interface ProxyRequestRecord {
  /** When the request arrived (ISO 8601, milliseconds). */
  readonly time: string;
  /** Lowercase hex SHA-256 of the client certificate presented; null when none. */
  readonly clientCertSha256: string | null;
  readonly method: string;
  /** The path without its query string (queries often carry secrets), at most 2048 characters. */
  readonly path: string;
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
  readonly status: number;
  readonly latencyMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export type ProxyRequestObserver = (record: ProxyRequestRecord) => void;

interface Started {
  readonly time: number;
  readonly startedAt: number;
  readonly clientCertSha256: string | null;
  readonly method: string;
  readonly path: string;
}

function start(identity: ConnectionIdentity, method: string, target: string): Started {
  const query = target.indexOf('?');
  const path = query < 0 ? target : target.slice(0, query);
  return {
    time: Date.now(),
    startedAt: performance.now(),
    clientCertSha256: identity.fingerprint256 === '' ? null : identity.fingerprint256,
    method,
    path: path.length > MAX_LOGGED_PATH ? path.slice(0, MAX_LOGGED_PATH) : path,
  };
}

function finish(
  started: Started,
  protocol: ProxyRequestRecord['protocol'],
  status: number,
  bytesIn: number,
  bytesOut: number,
): ProxyRequestRecord {
  return {
    time: new Date(started.time).toISOString(),
    clientCertSha256: started.clientCertSha256,
    method: started.method,
    path: started.path,
    protocol,
    status,
    latencyMs: Math.round((performance.now() - started.startedAt) * 1000) / 1000,
    bytesIn,
    bytesOut,
  };
}

function declaredLength(value: string | string[] | undefined): number {
  const length = typeof value === 'string' ? Number(value) : 0;
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}

/** HTTP/1.1 (ADR 0022): reports the exchange when it is over; it counts its bytes itself. */
export function meterHttp1(exchange: Http1Exchange, identity: ConnectionIdentity, observe: ProxyRequestObserver): void {
  const started = start(identity, exchange.method, exchange.target);
  exchange.onClose(() => {
    const status = exchange.headersSent ? exchange.statusCode : CLIENT_CLOSED_REQUEST;
    const bytesIn = exchange.chunked ? exchange.bodyBytesIn : declaredLength(exchange.headers['content-length']);
    observe(finish(started, 'HTTP/1.1', status, bytesIn, exchange.bytesOut));
  });
}

/** Reports the stream when it closes; give it the body bytes read and the sink that sent the answer. */
export function meterHttp2(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  identity: ConnectionIdentity,
  observe: ProxyRequestObserver,
  guard: FaultGuard,
): { countIn: (bytes: number) => void; answeredBy: (sink: Http2Sink) => void } {
  const started = start(identity, headers[':method'] ?? 'GET', headers[':path'] ?? '');
  let bytesIn = 0;
  let sink: Http2Sink | undefined;
  guard.listenOnce(stream, 'close', 'response', stream, () => {
    // Undefined when the stream closed before response headers were sent (Node's typing says otherwise).
    const sent = stream.sentHeaders as IncomingHttpHeaders | undefined;
    const status = sent?.[':status'] === undefined ? CLIENT_CLOSED_REQUEST : Number(sent[':status']);
    const forwarded = sink?.bodyBytes ?? 0;
    observe(
      finish(
        started,
        'HTTP/2',
        status,
        bytesIn > 0 ? bytesIn : declaredLength(headers['content-length']),
        forwarded > 0 ? forwarded : declaredLength(sent?.['content-length']),
      ),
    );
  });
  return {
    countIn: (bytes) => {
      bytesIn += bytes;
    },
    answeredBy: (answering) => {
      sink = answering;
    },
  };
}
