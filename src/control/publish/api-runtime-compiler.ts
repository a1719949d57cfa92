/**
 * compileApis / compileKeys: the Tyk model's half of the snapshot — APIs as routes carrying their
 * authentication, and keys with their policies applied, indexed by what a client can prove.
 *
 * Fail closed everywhere a reference is dangling: an allowlist entry whose certificate is gone
 * allows nothing; a key whose policy is missing or inactive gets no access (policy/effective-limits);
 * an API whose upstream no longer parses is left out (404) and reported.
 */
import { parseUpstreamTarget } from '../../config/upstream-target.ts';
import { compileAccessRights } from '../../policy/access-rights.ts';
import { effectiveLimits } from '../../policy/effective-limits.ts';
import type {
  ApiDefinitionRecord,
  GatewayKeyRecord,
  GatewayPolicyRecord,
  HexId,
  MtlsCertificateRecord,
  ZoneRecord,
} from '../../model/records.ts';
import { KeyIndex, type ApiRuntime, type KeyRuntime } from '../../runtime-config/api-runtime.ts';
import type { RouteRuntime } from '../../runtime-config/route-table.ts';
import type { ClientCertificateFingerprint } from '../../model/read-models.ts';
import type { CompileProblem } from './zone-runtime-compiler.ts';

export interface ApiSources {
  readonly apis: readonly ApiDefinitionRecord[];
  readonly zones: ReadonlyMap<HexId, ZoneRecord>;
  readonly mtlsCertificates: readonly MtlsCertificateRecord[];
  readonly clientCertificates: readonly ClientCertificateFingerprint[];
}

/** Active APIs of hostnames their zone owns, as routes with `api` set. */
export function compileApis(
  sources: ApiSources,
  ownerOf: (hostname: string) => string | undefined,
  onProblem: (problem: CompileProblem) => void,
): RouteRuntime[] {
  const leafOfMtls = new Map(sources.mtlsCertificates.map((cert) => [cert.id, cert]));
  const leafOfClient = new Map(sources.clientCertificates.map((cert) => [cert.id, cert]));
  const routes: RouteRuntime[] = [];
  for (const api of sources.apis) {
    const zone = sources.zones.get(api.zoneId);
    if (!api.active || zone === undefined || ownerOf(api.hostname) !== api.zoneId) continue;
    let upstream;
    try {
      upstream = parseUpstreamTarget(api.upstreamUrl);
    } catch (error) {
      onProblem({ zoneId: api.zoneId, what: `api ${api.id}`, reason: (error as Error).message });
      continue;
    }
    const allowed = new Set<string>();
    for (const entry of api.allowedCertificates) {
      if (entry.kind === 'sha256') allowed.add(entry.value);
      else if (entry.kind === 'mtls_certificate') {
        const cert = leafOfMtls.get(entry.id);
        // Only a leaf of the API's own account; a CA never goes on an allowlist (it would allow all it signs).
        if (cert !== undefined && !cert.ca && cert.accountId === zone.accountId) allowed.add(cert.fingerprintSha256);
      } else {
        const cert = leafOfClient.get(entry.id);
        if (cert !== undefined && cert.zoneId === api.zoneId) allowed.add(cert.fingerprintSha256);
      }
    }
    const runtime: ApiRuntime = Object.freeze({
      id: api.id,
      zoneId: api.zoneId,
      accountId: zone.accountId,
      name: api.name,
      authMode: api.authMode,
      tokenRequired: api.tokenRequired,
      allowedLeafSha256: allowed,
      rateLimit: api.rateLimit,
    });
    routes.push(
      Object.freeze({
        id: api.id,
        zoneId: api.zoneId,
        hostname: api.hostname,
        pathPrefix: api.listenPath,
        upstream,
        stripPrefix: api.stripListenPath,
        upstreamTimeoutMs: api.upstreamTimeoutMs ?? undefined,
        api: runtime,
      }),
    );
  }
  return routes;
}

export function compileKeys(keys: readonly GatewayKeyRecord[], policies: readonly GatewayPolicyRecord[]): KeyIndex {
  const policiesById = new Map(policies.map((policy) => [policy.id, policy]));
  const compiled: KeyRuntime[] = [];
  const bySecret = new Map<string, KeyRuntime>();
  for (const key of keys) {
    const effective = effectiveLimits(key, policiesById);
    const runtime: KeyRuntime = Object.freeze({
      id: key.id,
      accountId: key.accountId,
      alias: key.alias,
      binding: key.certificateBinding,
      active: key.active,
      expiresAtMs: key.expiresOn === null ? null : Date.parse(key.expiresOn),
      limits:
        effective.kind === 'ok'
          ? Object.freeze({
              access: compileAccessRights(effective.limits.accessRights),
              rateLimit: effective.limits.rateLimit,
              quota: effective.limits.quota,
            })
          : undefined,
    });
    compiled.push(runtime);
    if (key.secretHash !== null) bySecret.set(key.secretHash, runtime);
  }
  return new KeyIndex(compiled, bySecret);
}
