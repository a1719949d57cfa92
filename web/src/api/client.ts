/**
 * The dashboard's only way to the server: the v4 management API (/client/v4) and the session
 * endpoints, with the session cookie (sent by the browser, never readable here) and, on every
 * state-changing call, the session's CSRF token. Every failure becomes an ApiError carrying the
 * API's own messages, which the pages show as they are.
 */
import type { DashboardSessionWire, V4Envelope, V4Message, V4ResultInfo } from '../../../src/admin-api/wire-types.ts';

export const API = '/client/v4';
const SESSION = '/dashboard/api/session';

export class ApiError extends Error {
  readonly status: number;
  readonly errors: readonly V4Message[];

  constructor(status: number, errors: readonly V4Message[]) {
    super(errors.map((error) => error.message).join('; ') || `The server answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

/** Called when the server says the session is gone (expired, token revoked): back to sign-in. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export interface Page<T> {
  items: T[];
  info: V4ResultInfo | undefined;
  messages: V4Message[];
}

async function send<T>(method: string, url: string, body?: unknown): Promise<V4Envelope<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== '') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, [{ code: 0, message: 'The gateway did not answer: is it running?' }]);
  }
  if (response.status === 204) return { success: true, errors: [], messages: [], result: null as T };
  let envelope: V4Envelope<T>;
  try {
    envelope = (await response.json()) as V4Envelope<T>;
  } catch {
    throw new ApiError(response.status, [{ code: 0, message: `The server answered ${response.status} without JSON` }]);
  }
  if (!response.ok || !envelope.success) {
    const errors = envelope.errors.length > 0 ? envelope.errors : [{ code: 0, message: `HTTP ${response.status}` }];
    // 12181: the session ended (expired, signed out elsewhere, token revoked).
    if (response.status === 401 && errors.some((error) => error.code === 12181)) onSignedOut();
    throw new ApiError(response.status, errors);
  }
  return envelope;
}

export async function get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
  return (await send<T>('GET', API + path + queryString(query))).result;
}

export async function list<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<Page<T>> {
  const envelope = await send<T[]>('GET', API + path + queryString(query));
  return { items: envelope.result, info: envelope.result_info, messages: envelope.messages };
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  return (await send<T>('POST', API + path, body ?? {})).result;
}

export async function put<T>(path: string, body: unknown): Promise<T> {
  return (await send<T>('PUT', API + path, body)).result;
}

export async function patch<T>(path: string, body: unknown): Promise<T> {
  return (await send<T>('PATCH', API + path, body)).result;
}

export async function del<T>(path: string): Promise<T> {
  return (await send<T>('DELETE', API + path)).result;
}

export function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export async function signIn(token: string): Promise<DashboardSessionWire> {
  return (await send<DashboardSessionWire>('POST', SESSION, { token })).result;
}

export async function currentSession(): Promise<DashboardSessionWire> {
  return (await send<DashboardSessionWire>('GET', SESSION)).result;
}

export async function signOut(): Promise<void> {
  await send('DELETE', SESSION);
}

/** The Prometheus text of this node's /metrics (public on the admin listener, like /healthz). */
export async function metricsText(): Promise<string> {
  const response = await fetch('/metrics', { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status, [{ code: 0, message: `/metrics answered ${response.status}` }]);
  return response.text();
}
