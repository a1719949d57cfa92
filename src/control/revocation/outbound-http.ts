/**
 * fetchOutbound: one bounded HTTP(S) exchange with a CRL distribution point or an OCSP responder,
 * guarded against server-side request forgery (docs/adr/0014):
 *
 *   - `http:` and `https:` only, no credentials in the URL (revocation-pointers.ts isFetchableUrl);
 *   - the name is resolved once, every address it resolves to must pass outboundAddressProblem
 *     (one bad address refuses the URL), and the connection goes to an address that was checked —
 *     never to a second resolution a hostile DNS server could point elsewhere (DNS rebinding);
 *   - redirects are not followed (a 3xx is a failure: it could lead anywhere);
 *   - one deadline for the whole exchange (resolution, connection, answer), and a size limit that
 *     stops reading as soon as it is passed;
 *   - a fresh connection each time (no pooled socket outlives its checks); HTTPS verifies the
 *     server against the system's CAs, by the URL's name.
 *
 * Throws an Error whose message says what failed, never the body.
 */
import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isFetchableUrl } from '../../pki/revocation-pointers.ts';
import { outboundAddressProblem } from './outbound-address.ts';

export interface OutboundRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly allowPrivateAddresses: boolean;
}

/** The exchange the guard allows, as a function (tests may count calls; production uses fetchOutbound). */
export type OutboundFetch = (request: OutboundRequest) => Promise<Buffer>;

export async function fetchOutbound(request: OutboundRequest): Promise<Buffer> {
  if (!isFetchableUrl(request.url)) throw new Error('only http and https URLs without credentials are fetched');
  const url = new URL(request.url);
  const deadline = Date.now() + request.timeoutMs;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await withDeadline(resolve(host), deadline, 'resolving the name');
  for (const { address } of addresses) {
    const problem = outboundAddressProblem(address, request.allowPrivateAddresses);
    if (problem !== undefined) throw new Error(`${host} resolves to ${address}: ${problem}`);
  }
  const [chosen] = addresses;
  if (chosen === undefined) throw new Error(`${host} resolves to no address`);
  return exchange(url, request, chosen, deadline);
}

async function resolve(host: string): Promise<{ address: string; family: number }[]> {
  const family = isIP(host);
  if (family !== 0) return [{ address: host, family }];
  return lookup(host, { all: true, verbatim: true });
}

function exchange(
  url: URL,
  request: OutboundRequest,
  chosen: { address: string; family: number },
  deadline: number,
): Promise<Buffer> {
  // Every connection attempt gets the checked address, whatever the options asked (single or all).
  const pinned = ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all === true) callback(null, [chosen]);
    else callback(null, chosen.address, chosen.family);
  }) as unknown as LookupFunction;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Buffer>((resolvePromise, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = client.request(
      url,
      {
        method: request.method ?? 'GET',
        headers: {
          ...request.headers,
          ...(request.body === undefined ? {} : { 'content-length': String(request.body.byteLength) }),
        },
        lookup: pinned,
        agent: false,
      },
      (response) =>
        readBody(response, request.maxBytes, fail, (body) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolvePromise(body);
        }),
    );
    const timer = setTimeout(
      () => fail(new Error(`no answer within ${request.timeoutMs} ms`)),
      Math.max(0, deadline - Date.now()),
    );
    req.on('error', (error) =>
      fail(new Error(`connection failed (${(error as NodeJS.ErrnoException).code ?? error.message})`)),
    );
    req.end(request.body);
  });
}

function readBody(
  response: IncomingMessage,
  maxBytes: number,
  fail: (error: Error) => void,
  done: (body: Buffer) => void,
): void {
  const status = response.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    fail(new Error(`HTTP ${status}: redirects are not followed`));
    return;
  }
  if (status !== 200) {
    fail(new Error(`HTTP ${status}`));
    return;
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    fail(new Error(`the answer is larger than ${maxBytes} bytes`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size > maxBytes) {
      fail(new Error(`the answer is larger than ${maxBytes} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  response.on('error', (error) => fail(new Error(`the answer broke off (${error.message})`)));
  response.on('end', () => done(Buffer.concat(chunks)));
}

async function withDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out ${what}`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, late]);
  } catch (error) {
    throw error instanceof Error && error.message.startsWith('timed out')
      ? error
      : new Error(`${what} failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
}
