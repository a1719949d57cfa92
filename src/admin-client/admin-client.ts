/**
 * The client of the v4 management API used by the CLI and the demo (they talk to the admin API over
 * HTTP only, never to the store). It unwraps the envelope and turns every failure into an
 * `AdminClientError` whose message is fit for stderr: the API's own message and v4 code, or which
 * URL could not be reached. Connection settings: `--api` / PORTCULLIS_API (default
 * http://127.0.0.1:9000/client/v4) and `--token` / PORTCULLIS_TOKEN / `<--data-dir>/admin-token`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GW_ERR_USAGE } from '../errors/index.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:9000/client/v4';
const REQUEST_TIMEOUT_MS = 30_000;
/** A bound on page following, so a server that ignores `page` cannot loop us forever. */
const MAX_PAGES = 1000;
/** v4 code of "No route for that URI". */
const ROUTE_NOT_FOUND = 7000;

/** Where the admin API is and how to authenticate (the CLI's --api, --token and --data-dir). */
export interface AdminConnectionOptions {
  api?: string;
  token?: string;
  dataDir: string;
}

export interface ApiMessage {
  code: number;
  message: string;
}

export interface Envelope<T> {
  success: boolean;
  errors: ApiMessage[];
  messages: ApiMessage[];
  result: T;
  result_info?: { page: number; per_page: number; count: number; total_count: number; total_pages: number };
}

/** A call that failed (unreachable, refused by the API, an answer that is not the API's): one line, no stack. */
export class AdminClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminClientError';
  }
}

type Query = Record<string, string | number | undefined>;

/** Where a command's warnings go: stderr, so stdout (tables, --json) stays the result alone. */
function warnOnStderr(text: string): void {
  process.stderr.write(`warning: ${text}\n`);
}

export class AdminClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #warn: (text: string) => void;
  /** Messages already shown, so a paged list repeats none. */
  readonly #warned = new Set<string>();

  /**
   * `warn` gets each message a successful answer carries (e.g. "quota_remaining is null: the usage
   * counters did not answer"): commands print results only, so without it such caveats were lost.
   */
  constructor(baseUrl: string, token: string, warn: (text: string) => void = warnOnStderr) {
    this.baseUrl = baseUrl;
    this.#token = token;
    this.#warn = warn;
  }

  /** One call; resolves with the whole envelope of a successful answer. */
  async call<T>(method: string, route: string, options: { query?: Query; body?: unknown } = {}): Promise<Envelope<T>> {
    const url = new URL(this.baseUrl + route);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json',
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AdminClientError(`cannot reach the admin API at ${this.baseUrl}: ${describeNetworkError(error)}`);
    }
    const envelope = parseEnvelope<T>(await response.text().catch(() => ''));
    if (envelope === undefined) {
      throw new AdminClientError(
        `${url.origin}${url.pathname} answered HTTP ${response.status} without a v4 envelope; is --api the /client/v4 base URL of portcullis serve?`,
      );
    }
    if (!envelope.success || response.status >= 400) {
      const errors = envelope.errors.length > 0 ? envelope.errors : [{ code: 0, message: `HTTP ${response.status}` }];
      const text = errors.map((error) => `${error.message} [v4 ${error.code}]`).join('; ');
      const hint =
        errors.some((error) => error.code === ROUTE_NOT_FOUND) && !this.baseUrl.endsWith('/client/v4')
          ? ' (the --api URL usually ends with /client/v4)'
          : '';
      throw new AdminClientError(text + hint);
    }
    return envelope;
  }

  /** The result; the answer's messages go to the warning output (call() leaves them to the caller). */
  async get<T>(route: string, query?: Query): Promise<T> {
    return this.#resultOf(await this.call<T>('GET', route, query === undefined ? {} : { query }));
  }

  async send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', route: string, body?: unknown): Promise<T> {
    return this.#resultOf(await this.call<T>(method, route, body === undefined ? {} : { body }));
  }

  #resultOf<T>(envelope: Envelope<T>): T {
    for (const message of envelope.messages) {
      const text = `${message.message} [v4 ${message.code}]`;
      if (this.#warned.has(text)) continue;
      this.#warned.add(text);
      this.#warn(text);
    }
    return envelope.result;
  }

  /** Every item of a paged list: fetches page after page until one comes back empty (as the SDK does). */
  async listAll<T>(route: string, query: Query = {}, perPage = 50): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const result = await this.get<T[]>(route, { ...query, page, per_page: perPage });
      if (result.length === 0) return items;
      items.push(...result);
    }
    throw new AdminClientError(`${route} still had results after ${MAX_PAGES} pages; stopped`);
  }
}

/** An id put into a route: encoded, and never a dot segment that would climb to another route. */
export function segment(id: string): string {
  if (id === '' || id === '.' || id === '..') throw GW_ERR_USAGE.create(`"${id}" is not an id`);
  return encodeURIComponent(id);
}

/** Builds the client from the command's options and the environment. Usage errors come before any request. */
export async function connect(
  options: AdminConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AdminClient> {
  const base = options.api ?? env.PORTCULLIS_API ?? DEFAULT_API_URL;
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw GW_ERR_USAGE.create(`--api must be an http(s) URL like ${DEFAULT_API_URL}, got "${base}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw GW_ERR_USAGE.create(`--api must be an http(s) URL like ${DEFAULT_API_URL}, got "${base}"`);
  }
  const token = (options.token ?? env.PORTCULLIS_TOKEN ?? (await readTokenFile(options.dataDir))).trim();
  if (!/^[\x21-\x7e]{1,512}$/.test(token)) throw GW_ERR_USAGE.create('the API token is empty or not printable ASCII');
  return new AdminClient(base.replace(/\/+$/, ''), token);
}

async function readTokenFile(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'admin-token');
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw GW_ERR_USAGE.create(
        `no API token: pass --token, set PORTCULLIS_TOKEN, or point --data-dir at the directory of admin-token (${file} does not exist)`,
      );
    }
    throw new AdminClientError(`cannot read the API token from ${file}: ${code ?? (error as Error).message}`);
  }
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is `portcullis serve` running there? set --api or PORTCULLIS_API)',
  ENOTFOUND: 'host not found',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError')
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  if (cause === undefined) return error.message;
  if (cause.code !== undefined) return NETWORK_ERRORS[cause.code] ?? cause.code;
  return cause.message === 'bad port' ? 'fetch refuses to connect to that port' : cause.message;
}

function parseEnvelope<T>(text: string): Envelope<T> | undefined {
  try {
    const value = JSON.parse(text) as Partial<Envelope<T>> | null;
    if (value === null || typeof value !== 'object' || typeof value.success !== 'boolean') return undefined;
    return { ...value, errors: value.errors ?? [], messages: value.messages ?? [] } as Envelope<T>;
  } catch {
    return undefined;
  }
}
