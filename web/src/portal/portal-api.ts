/**
 * The portal pages' only way to the server: the portal listener's /api/ endpoints, with the
 * session cookie (HttpOnly: never readable here) and the session's CSRF token on every change.
 * Failures become the dashboard's ApiError, carrying the server's own messages.
 */
import { ApiError } from '../api/client.ts';

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

export function setPortalCsrf(token: string): void {
  csrfToken = token;
}

export function whenPortalSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

interface Envelope<T> {
  success: boolean;
  errors: { code: number; message: string }[];
  result: T;
}

export async function portalCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== '') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, [{ code: 0, message: 'The portal did not answer: try again in a moment.' }]);
  }
  let envelope: Envelope<T>;
  try {
    envelope = (await response.json()) as Envelope<T>;
  } catch {
    throw new ApiError(response.status, [{ code: 0, message: `The portal answered ${response.status}` }]);
  }
  if (!response.ok || !envelope.success) {
    // 12230: the session is over (expired, password changed elsewhere, disabled).
    if (response.status === 401 && envelope.errors.some((error) => error.code === 12230)) onSignedOut();
    throw new ApiError(response.status, envelope.errors);
  }
  return envelope.result;
}

// What the portal API answers (src/portal/portal-*-routes.ts).

export interface DeveloperWire {
  id: string;
  email: string;
  name: string;
  status: string;
}

export interface SessionWire {
  developer: DeveloperWire;
  csrf_token: string;
  expires_on: string;
}

export interface ApiWire {
  id: string;
  name: string;
  hostname: string;
  listen_path: string;
  /** Where a developer calls it: the hostname on the gateway's public port. */
  url: string;
}

export interface ProductWire {
  id: string;
  name: string;
  description: string;
  approval_mode: 'automatic' | 'manual';
  validity_days: number;
  apis: ApiWire[];
}

export interface AppWire {
  id: string;
  name: string;
  description: string;
  created_on: string;
}

export interface AccessRequestWire {
  id: string;
  app_id: string;
  product_id: string;
  product_name?: string;
  credential_kind: 'browser_key' | 'csr' | 'certificate';
  bind_to: 'leaf' | 'spki';
  status: 'pending' | 'approved' | 'rejected' | 'revoked';
  message: string;
  requested_on: string;
  decided_on: string | null;
  key_id: string | null;
  certificate_pem: string | null;
  fingerprint_sha256: string | null;
  not_after: string | null;
  replaces_id: string | null;
  grace_days: number;
  revoke_after: string | null;
  expiring_soon?: boolean;
  /** The URLs of the product's APIs (approved requests only): the page's example curl calls. */
  api_urls?: string[];
}

export interface DayUsageWire {
  day: string;
  requests: number;
  errors: number;
  rate_limited: number;
}

export interface AppDetailWire {
  app: AppWire;
  requests: AccessRequestWire[];
  usage: DayUsageWire[];
}

export interface CredentialWire {
  kind: 'browser_key' | 'csr' | 'certificate';
  csr?: string;
  certificate?: string;
  bind_to?: 'leaf' | 'spki';
}
