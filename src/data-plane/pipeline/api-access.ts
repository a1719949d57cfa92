/**
 * decideApiAccess: who is calling an API and whether they may (the Tyk model, without
 * Tyk's bypasses — docs/adr/0003-gateway-pipeline-decisions.md, "Keys"):
 *
 *   keyless        anyone the zone's rules let through
 *   mtls_static    a verified, unrevoked certificate whose LEAF is on the allowlist (never another
 *                  certificate of the chain the client sent), plus a token key if `tokenRequired`
 *   mtls_dynamic   a verified, unrevoked certificate → the key of the API's account bound to it
 *                  (leaf, else public key); another tenant's key for the same certificate never counts.
 *                  A valid certificate without a key is 403 (authenticated, not authorized); 401 is
 *                  kept for no certificate at all
 *   token          `Authorization: Bearer <secret>` → the key with that secret hash
 *
 * A key bound to a certificate is never usable without presenting that certificate, whichever way
 * it was found. A key id is never read from the request: keys are found only by what the client
 * proved (a certificate's private key in the handshake) or sent (a secret). Then the key must be
 * active, of the API's account, unexpired, with its policies present, and allowed this API,
 * method and path.
 */
import { createHash } from 'node:crypto';
import {
  GW_ERR_ACCESS_DENIED,
  GW_ERR_CERT_INVALID,
  GW_ERR_CERT_MISSING,
  GW_ERR_CERT_NO_KEY,
  GW_ERR_CERT_NOT_ALLOWED,
  GW_ERR_CERT_REVOCATION_UNKNOWN,
  GW_ERR_CERT_REVOKED,
  GW_ERR_KEY_CERT_MISMATCH,
  GW_ERR_KEY_EXPIRED,
  GW_ERR_KEY_INVALID,
  GW_ERR_KEY_MISSING,
} from '../../errors/index.ts';
import { bindingMatches, type ApiRuntime, type KeyIndex, type KeyRuntime } from '../../runtime-config/api-runtime.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';
import type { PublicError } from './gateway-response.ts';
import type { HostDecision } from './host-decision.ts';

export interface ApiAccessRequest {
  readonly method: string;
  /** The request path (query allowed after it; access rights ignore it). */
  readonly target: string;
  /** The Authorization header, if any. */
  readonly authorization: string | undefined;
  readonly nowMs: number;
}

export type ApiAccess =
  | { readonly allowed: true; readonly key: KeyRuntime | undefined }
  | { readonly allowed: false; readonly error: PublicError };

const ALLOWED_WITHOUT_KEY: ApiAccess = Object.freeze({ allowed: true, key: undefined });
const DENIED_API = GW_ERR_ACCESS_DENIED.create('API');
const DENIED_RESOURCE = GW_ERR_ACCESS_DENIED.create('resource');

export function decideApiAccess(
  api: ApiRuntime,
  identity: ConnectionIdentity,
  decision: HostDecision,
  keys: KeyIndex,
  request: ApiAccessRequest,
): ApiAccess {
  let key: KeyRuntime | undefined;
  switch (api.authMode) {
    case 'keyless':
      return ALLOWED_WITHOUT_KEY;
    case 'mtls_static': {
      const refused = certificateRefusal(decision);
      if (refused !== undefined) return denied(refused);
      if (!api.allowedLeafSha256.has(identity.fingerprint256)) {
        return denied(GW_ERR_CERT_NOT_ALLOWED.create(`with SHA-256 ${identity.fingerprint256}`));
      }
      if (!api.tokenRequired) return ALLOWED_WITHOUT_KEY;
      const found = keyFromToken(keys, request.authorization);
      if ('error' in found) return denied(found.error);
      key = found.key;
      break;
    }
    case 'mtls_dynamic': {
      const refused = certificateRefusal(decision);
      if (refused !== undefined) return denied(refused);
      key = keys.byCertificate(api.accountId, identity.fingerprint256, () => identity.spkiSha256());
      if (key === undefined) return denied(GW_ERR_CERT_NO_KEY);
      break;
    }
    case 'token': {
      const found = keyFromToken(keys, request.authorization);
      if ('error' in found) return denied(found.error);
      key = found.key;
      break;
    }
  }
  // A certificate-bound key, however it was found, only works with its certificate, verified now.
  if (key.binding !== null) {
    const refused = certificateRefusal(decision);
    if (refused !== undefined) return denied(refused);
    if (!bindingMatches(key.binding, identity.fingerprint256, () => identity.spkiSha256())) {
      return denied(GW_ERR_KEY_CERT_MISMATCH);
    }
  }
  const keyRefusal = keyStateRefusal(key, api, request.nowMs);
  if (keyRefusal !== undefined) return denied(keyRefusal);
  const rights = key.limits?.access.check(api.id, request.method, request.target) ?? 'api_not_allowed';
  if (rights === 'api_not_allowed') return denied(DENIED_API);
  if (rights === 'resource_not_allowed') return denied(DENIED_RESOURCE);
  return { allowed: true, key };
}

function denied(error: PublicError): ApiAccess {
  return { allowed: false, error };
}

/** The certificate must be presented, verified against the hostname's CAs now, and not revoked (or unknown). */
function certificateRefusal(decision: HostDecision): PublicError | undefined {
  if (!decision.certPresented) return GW_ERR_CERT_MISSING;
  // Its CA fails closed and its revocation status is unknown: say so, the client may retry later.
  if (decision.revocationUnknown === true) return GW_ERR_CERT_REVOCATION_UNKNOWN;
  if (!decision.certVerified) return GW_ERR_CERT_INVALID;
  if (decision.certRevoked) return GW_ERR_CERT_REVOKED;
  return undefined;
}

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

function keyFromToken(keys: KeyIndex, authorization: string | undefined): { key: KeyRuntime } | { error: PublicError } {
  const secret = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  if (secret === undefined) return { error: GW_ERR_KEY_MISSING };
  const key = keys.bySecretHash(createHash('sha256').update(secret).digest('hex'));
  return key === undefined ? { error: GW_ERR_KEY_INVALID } : { key };
}

function keyStateRefusal(key: KeyRuntime, api: ApiRuntime, nowMs: number): PublicError | undefined {
  // A key of another account is unknown here, exactly like a key that does not exist.
  if (!key.active || key.accountId !== api.accountId || key.limits === undefined) return GW_ERR_KEY_INVALID;
  if (key.expiresAtMs !== null && nowMs >= key.expiresAtMs) return GW_ERR_KEY_EXPIRED;
  return undefined;
}
