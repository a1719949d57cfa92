/** HTTP/2 requests over one TLS session (ALPN h2) with a client certificate. */
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';

export interface H2Response {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: string;
}

export function connectH2(
  port: number,
  ca: string,
  cert?: string,
  key?: string,
  servername = 'localhost',
): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://${servername}:${port}`, {
      ca,
      cert,
      key,
      host: '127.0.0.1',
      servername,
    } as http2.SecureClientSessionOptions);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

export function h2Request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': '/', ':method': 'GET', ...headers }, { endStream: body === undefined });
    let responseHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () =>
      resolve({
        status: Number(responseHeaders[':status']),
        headers: responseHeaders,
        trailers,
        body: Buffer.concat(chunks).toString(),
      }),
    );
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}
