/**
 * Dashboard sessions as sealed cookies (docs/adr/0013): the session (which token it stands for, its
 * CSRF token, when it ends) is sealed with AES-256-GCM under a key derived from the master key, so
 * every node of a cluster (they share the master key) opens a session made on any other, with no
 * session table. The token's secret is never in it: only the token's id, looked up on every
 * request, so the session carries exactly the token's permissions and ends when the token does.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { SecretBox } from '../../store/secret-box.ts';

/** What a session cookie holds. */
export interface DashboardSession {
  /** Random, per sign-in: tells sessions of one token apart in logs. */
  readonly sessionId: string;
  /** The API token the operator signed in with (its id, never its secret). */
  readonly tokenId: string;
  /** Synchronizer token: every state-changing request must send it as X-CSRF-Token. */
  readonly csrfToken: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

/** A sealed session is a few hundred bytes; anything much longer is not one of ours. */
const MAX_SEALED_LENGTH = 2048;
const HEX_ID = /^[0-9a-f]{32}$/;

/**
 * A key for session cookies only, derived from the master key (RFC 5869 HKDF-SHA256 with its own
 * `info`): the key that seals CA private keys never seals anything a browser holds.
 */
export function deriveSessionKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'portcullis dashboard session v1', 32));
}

export class SessionSealer {
  readonly #box: SecretBox;
  readonly #lifetimeMs: number;
  readonly #now: () => number;

  constructor(key: Uint8Array, lifetimeMs: number, now: () => number = Date.now) {
    this.#box = new SecretBox(key);
    this.#lifetimeMs = lifetimeMs;
    this.#now = now;
  }

  /** A new session for a token, sealed, and what it holds. */
  create(tokenId: string): { sealed: string; session: DashboardSession } {
    const issuedAtMs = this.#now();
    const session: DashboardSession = {
      sessionId: randomBytes(16).toString('hex'),
      tokenId,
      csrfToken: randomBytes(32).toString('base64url'),
      issuedAtMs,
      expiresAtMs: issuedAtMs + this.#lifetimeMs,
    };
    return { sealed: this.#box.seal(JSON.stringify(session)), session };
  }

  /** The session a cookie holds, or undefined when it is not ours, was altered, or has expired. */
  open(sealed: string | undefined): DashboardSession | undefined {
    if (sealed === undefined || sealed === '' || sealed.length > MAX_SEALED_LENGTH) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#box.open(sealed));
    } catch {
      return undefined;
    }
    const session = asSession(parsed);
    if (session === undefined || session.expiresAtMs <= this.#now()) return undefined;
    return session;
  }
}

function asSession(value: unknown): DashboardSession | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { sessionId, tokenId, csrfToken, issuedAtMs, expiresAtMs } = value as Record<string, unknown>;
  if (typeof sessionId !== 'string' || typeof tokenId !== 'string' || !HEX_ID.test(tokenId)) return undefined;
  if (typeof csrfToken !== 'string' || csrfToken.length < 32) return undefined;
  if (typeof issuedAtMs !== 'number' || typeof expiresAtMs !== 'number') return undefined;
  return { sessionId, tokenId, csrfToken, issuedAtMs, expiresAtMs };
}
