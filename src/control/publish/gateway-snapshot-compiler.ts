/**
 * compileGatewaySnapshot: turns what the store says (zones, hostname associations, edge
 * certificates, CAs, client certificate status) into the immutable GatewaySnapshot the data plane
 * reads by reference (docs/architecture.md, "Layers"), so no request ever reads the store.
 *
 *   hostnames = associated hostnames ∪ hosts of edge certificates ∪ hostnames of routes and APIs
 *   per hostname: edge certificate (uploaded, else issued by the edge CA)
 *                 + exactly the associated CAs (a missing CA is skipped: trusted by nobody), each with
 *                   its compatibility (a certificate in several uploads is legacy only if every one says so)
 *                 + revoked serials of the managed CA(s) it trusts
 *                 + revocation of its account's uploaded CAs (ca-revocation-compiler.ts)
 *   default policy: an edge-CA certificate for `localhost`, no client CA
 *   per zone: custom rules compiled to closures, identity headers; routes of owned hostnames
 *
 * A hostname belongs to one zone, decided by HostnameOwnership (docs/adr/0007-zone-ownership.md):
 * the most specific zone that contains it by name and names it, among the zones of the account that
 * owns it. Only that zone's associations, edge certificates, routes and APIs apply to it, so one
 * tenant can neither change nor serve another's host: a zone naming a hostname outside its own
 * name, or inside another account's zone without the operator's delegation, is reported and left
 * out (fail closed). A wildcard never covers the apex of another account's zone one label down.
 */
import { X509Certificate } from 'node:crypto';
import type { Store } from '../../store/ports.ts';
import type {
  ApiDefinitionRecord,
  EdgeCertificateRecord,
  HexId,
  HostnameAssociationRecord,
  RouteRecord,
  ZoneRecord,
} from '../../model/records.ts';
import type { SecretBox } from '../../store/secret-box.ts';
import {
  buildRevocationIndex,
  createDefaultPolicy,
  createHostPolicy,
  GatewaySnapshot,
  NormalisedSerials,
  type HostPolicy,
} from '../../runtime-config/gateway-snapshot.ts';
import { readPemBlocksOf } from '../../pki/pem.ts';
import type { EdgeCaService } from '../certificates/edge-ca-service.ts';
import { compileRoutes, compileZoneRuntimes, type CompileProblem } from './zone-runtime-compiler.ts';
import { compileApis, compileKeys } from './api-runtime-compiler.ts';
import { RouteTable } from '../../runtime-config/route-table.ts';
import { HostnameOwnership } from '../tenancy/hostname-ownership.ts';
import { compileCaRevocations } from './ca-revocation-compiler.ts';
import { RevokedSerialsCache } from './revoked-serials-cache.ts';
import { ParsedCertificates } from './parsed-certificates.ts';
import { canonicalHostname } from '../../model/hostname.ts';

export interface SnapshotCompilerDeps {
  store: Store;
  box: SecretBox;
  edgeCa: EdgeCaService;
  /** Snapshot version; default `Date.now()` (increases between compiles). */
  version?: number;
  /** Names on the default policy's certificate (unknown or absent SNI); default `localhost`. */
  defaultNames?: readonly string[];
  /** Told about stored rules or routes that no longer compile (they fail closed). */
  onProblem?: (problem: CompileProblem) => void;
  /** Kept between compiles: a CA's revoked serials are listed again only when they changed. */
  revokedSerials?: RevokedSerialsCache;
  /** Kept between compiles: a certificate is parsed again only when it is new (parsed-certificates.ts). */
  certificates?: ParsedCertificates;
}

interface ServerMaterial {
  certPem: string;
  keyPem: string;
}

interface ClientTrust {
  caPems: string[];
  /** Those of `caPems` whose client chains are judged with `legacy` compatibility (docs/adr/0008). */
  legacyCaPems: string[];
  /** Revoked serials keyed by the issuing CA's PEM (what createHostPolicy accepts). */
  revoked: Map<string, NormalisedSerials>;
}

/** Where the hostname came from: the zone it belongs to and that zone's associations. */
interface HostSource {
  zone: ZoneRecord;
  associations: HostnameAssociationRecord[];
}

const DEFAULT_HOSTNAME = 'localhost';

export async function compileGatewaySnapshot(deps: SnapshotCompilerDeps): Promise<GatewaySnapshot> {
  const certificates = deps.certificates ?? new ParsedCertificates();
  try {
    return await compile(deps, (pem) => certificates.parse(pem));
  } finally {
    certificates.compiled();
  }
}

async function compile(deps: SnapshotCompilerDeps, parse: (pem: string) => X509Certificate): Promise<GatewaySnapshot> {
  const { store } = deps;
  const zones = new Map((await store.listZones({})).map((zone) => [zone.id, zone]));
  const associations = await store.listAllAssociations();
  const edgeCertificates = await store.listAllEdgeCertificates();
  const routes = await store.listAllRoutes();
  const apis = await store.listAllApis();
  const onProblem = deps.onProblem ?? (() => undefined);
  const ownership = new HostnameOwnership(zones.values());
  reportUnapprovedOverlaps(ownership, onProblem);
  const sources = hostSources(zones, ownership, associations, edgeCertificates, [...routes, ...apis], onProblem);
  const serverMaterial = edgeCaMaterial(deps.edgeCa);
  const trust = clientTrustReader(store, deps.revokedSerials ?? new RevokedSerialsCache());

  const hosts: { hostname: string; source: HostSource; server: ServerMaterial; client: ClientTrust }[] = [];
  const revokedByCa = new Map<string, NormalisedSerials>();
  for (const [hostname, source] of sources) {
    const edge = newestCovering(hostname, edgeCertificates, source.zone.id);
    const server = edge === undefined ? await serverMaterial(hostname) : openEdgeCertificate(edge, deps.box);
    const client = await trust(source.zone, source.associations);
    for (const [caPem, serials] of client.revoked) revokedByCa.set(caPem, serials);
    hosts.push({ hostname, source, server, client });
  }
  // ONE revocation index for the whole snapshot, shared by every host policy: lookups are by
  // (issuing CA, serial), so a host never sees another CA's entries, and 1,000 hosts trusting a
  // CA with 100,000 revoked serials hold one set, not 1,000 copies (bench run 3: 2.7 GB → 0.2 GB).
  const revocations = buildRevocationIndex(revokedByCa, parse);
  const mtlsCertificates = await store.listAllMtlsCertificates();
  // One per account, shared by its hosts: an account's lists never reach another account's hosts.
  const caRevocations = await compileCaRevocations(store, mtlsCertificates);
  const policies: HostPolicy[] = hosts.map(({ hostname, source, server, client }) =>
    createHostPolicy({
      hostname,
      zoneId: source.zone.id,
      ...server,
      clientCaPems: client.caPems,
      legacyClientCaPems: client.legacyCaPems,
      clientAuth: client.caPems.length > 0 ? 'optional' : 'none',
      revocations,
      caRevocation: client.caPems.length > 0 ? caRevocations.get(source.zone.accountId) : undefined,
      parse,
    }),
  );
  const defaultPolicy = createDefaultPolicy(
    await deps.edgeCa.serverCredentials(deps.defaultNames ?? [DEFAULT_HOSTNAME]),
    parse,
  );
  const ownerOf = (hostname: string): string | undefined => sources.get(canonicalHostname(hostname))?.zone.id;
  const apiRoutes = compileApis(
    {
      apis,
      zones,
      mtlsCertificates,
      clientCertificates: await store.listClientCertificateFingerprints(clientCertificateIdsOf(apis)),
    },
    ownerOf,
    onProblem,
  );
  const runtime = {
    wildcardExclusions: wildcardExclusions(zones, ownership, sources),
    routes: new RouteTable([...compileRoutes(routes, ownerOf, onProblem), ...apiRoutes]),
    keys: compileKeys(await store.listAllKeys(), await store.listAllPolicies()),
    zones: compileZoneRuntimes(
      zones.keys(),
      await store.listAllRulesets(),
      await store.listAllZoneSettings(),
      onProblem,
    ),
    zoneNames: new Map([...zones.values()].map((zone) => [zone.id, zone.name])),
    apiNames: new Map(apis.map((api) => [api.id, api.name])),
  };
  return new GatewaySnapshot(deps.version ?? Date.now(), policies, defaultPolicy, runtime);
}

// ---------------------------------------------------------------------------------------------
// Hostnames and the zone each belongs to.

function hostSources(
  zones: ReadonlyMap<HexId, ZoneRecord>,
  ownership: HostnameOwnership,
  associations: readonly HostnameAssociationRecord[],
  edgeCertificates: readonly EdgeCertificateRecord[],
  routed: readonly Pick<RouteRecord, 'hostname' | 'zoneId'>[],
  onProblem: (problem: CompileProblem) => void,
): Map<string, HostSource> {
  const candidates = new Map<string, Set<ZoneRecord>>();
  const mention = (hostname: string, zoneId: HexId): void => {
    const key = canonicalHostname(hostname);
    const zone = zones.get(zoneId);
    if (key === '' || zone === undefined) return;
    candidates.set(key, (candidates.get(key) ?? new Set()).add(zone));
  };
  for (const association of associations) mention(association.hostname, association.zoneId);
  for (const edge of edgeCertificates) for (const host of edge.hosts) mention(host, edge.zoneId);
  for (const route of routed) mention(route.hostname, route.zoneId);

  const sources = new Map<string, HostSource>();
  for (const [hostname, mentioning] of [...candidates].sort(([a], [b]) => a.localeCompare(b))) {
    const serving = ownership.servingZones(hostname);
    const zone = serving.find((candidate) => mentioning.has(candidate));
    for (const other of mentioning) {
      if (other === zone || serving.includes(other)) continue;
      onProblem({ zoneId: other.id, what: `hostname ${hostname}`, reason: notServedBecause(hostname, other, serving) });
    }
    if (zone === undefined) continue;
    const own = associations.filter((a) => a.zoneId === zone.id && canonicalHostname(a.hostname) === hostname);
    sources.set(hostname, { zone, associations: own });
  }
  return sources;
}

/** Why a zone that names a hostname does not serve it (for the log; the hostname fails closed). */
function notServedBecause(hostname: string, zone: ZoneRecord, serving: readonly ZoneRecord[]): string {
  const bare = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
  if (bare !== zone.name && !bare.endsWith(`.${zone.name}`)) {
    return `not served: it lies outside the zone ${zone.name}`;
  }
  const owner = serving[0];
  return owner === undefined
    ? 'not served: no zone may serve it'
    : `not served: it belongs to the zone ${owner.name} of another account (docs/adr/0007-zone-ownership.md)`;
}

/** One line per stored overlap the operator did not allow (rows from before the check, or written around it). */
function reportUnapprovedOverlaps(ownership: HostnameOwnership, onProblem: (problem: CompileProblem) => void): void {
  for (const { zone, older } of ownership.unapprovedOverlaps()) {
    onProblem({
      zoneId: zone.id,
      what: `zone ${zone.name}`,
      reason: `overlaps the older zone ${older.name} (${older.id}) of another account without a delegation: the hostnames they share are served by the older zone's account only (PATCH /zones/${zone.id} {"delegated": true} allows it)`,
    });
  }
}

/**
 * Zone apexes a wildcard one label up must not cover: `*.b.test` of one account never answers for
 * `api.b.test` when another account owns that zone (it then has its own policy, or none: 421).
 */
function wildcardExclusions(
  zones: ReadonlyMap<HexId, ZoneRecord>,
  ownership: HostnameOwnership,
  sources: ReadonlyMap<string, HostSource>,
): Set<string> {
  const excluded = new Set<string>();
  for (const zone of zones.values()) {
    const dot = zone.name.indexOf('.');
    if (dot < 0) continue;
    const wildcard = sources.get(`*.${zone.name.slice(dot + 1)}`);
    if (wildcard === undefined) continue;
    const owner = ownership.servingZones(zone.name)[0];
    if (owner?.accountId !== wildcard.zone.accountId) excluded.add(zone.name);
  }
  return excluded;
}

// ---------------------------------------------------------------------------------------------
// Server certificate: an uploaded edge certificate, else one from the edge CA.

/** Whether an edge certificate host (exact, or `*.zone` for exactly one label) covers the hostname. */
export function hostCovers(pattern: string, hostname: string): boolean {
  const host = canonicalHostname(pattern);
  if (host === hostname) return true;
  if (!host.startsWith('*.') || hostname.startsWith('*.')) return false;
  const dot = hostname.indexOf('.');
  return dot > 0 && hostname.slice(dot + 1) === host.slice(2);
}

function newestCovering(
  hostname: string,
  edgeCertificates: readonly EdgeCertificateRecord[],
  zoneId: HexId,
): EdgeCertificateRecord | undefined {
  let newest: EdgeCertificateRecord | undefined;
  for (const edge of edgeCertificates) {
    if (edge.zoneId !== zoneId || !edge.hosts.some((host) => hostCovers(host, hostname))) continue;
    if (newest === undefined || edge.uploadedOn > newest.uploadedOn) newest = edge;
  }
  return newest;
}

function openEdgeCertificate(edge: EdgeCertificateRecord, box: SecretBox): ServerMaterial {
  return { certPem: edge.certificatePem, keyPem: box.open(edge.sealedPrivateKey) };
}

/** Edge-CA server certificates, one per hostname within one compile. */
function edgeCaMaterial(edgeCa: EdgeCaService): (hostname: string) => Promise<ServerMaterial> {
  const issued = new Map<string, Promise<ServerMaterial>>();
  return (hostname) => {
    let material = issued.get(hostname);
    if (material === undefined) {
      material = edgeCa.serverCredentials([hostname]).then(({ certPem, keyPem }) => ({ certPem, keyPem }));
      issued.set(hostname, material);
    }
    return material;
  };
}

// ---------------------------------------------------------------------------------------------
// Client trust: exactly the associated CAs, and the managed CA's revocations.

function clientTrustReader(
  store: Store,
  revokedSerials: RevokedSerialsCache,
): (zone: ZoneRecord, associations: HostnameAssociationRecord[]) => Promise<ClientTrust> {
  const managed = new Map<HexId, Promise<{ caPem: string; revoked: NormalisedSerials } | undefined>>();
  const managedOf = (accountId: HexId) => {
    let entry = managed.get(accountId);
    if (entry === undefined) {
      entry = readManagedCa(store, revokedSerials, accountId);
      managed.set(accountId, entry);
    }
    return entry;
  };

  return async (zone, associations) => {
    const caPems = new Set<string>();
    // A CA certificate that is in a strict upload too is judged strict: the stricter reading wins.
    const legacy = new Set<string>();
    const strict = new Set<string>();
    const revoked = new Map<string, NormalisedSerials>();
    for (const association of associations) {
      if (association.mtlsCertificateId === null) {
        const ca = await managedOf(zone.accountId);
        if (ca === undefined) continue; // no managed CA yet: nothing to trust
        caPems.add(ca.caPem);
        strict.add(ca.caPem);
        revoked.set(ca.caPem, ca.revoked);
      } else {
        const uploaded = await store.getMtlsCertificate(zone.accountId, association.mtlsCertificateId);
        if (uploaded === undefined || !uploaded.ca) continue; // deleted or not a CA: never trusted
        for (const pem of caCertificatePems(uploaded.certificatesPem)) {
          caPems.add(pem);
          (uploaded.compatibility === 'legacy' ? legacy : strict).add(pem);
        }
      }
    }
    return { caPems: [...caPems], legacyCaPems: [...legacy].filter((pem) => !strict.has(pem)), revoked };
  };
}

async function readManagedCa(
  store: Store,
  revokedSerials: RevokedSerialsCache,
  accountId: HexId,
): Promise<{ caPem: string; revoked: NormalisedSerials } | undefined> {
  const ca = await store.getManagedCa(accountId);
  if (ca === undefined) return undefined;
  // pending_revocation already counts as revoked (the store lists both): revocation takes effect at once
  // (docs/architecture.md, "Data model").
  const { serials } = await revokedSerials.read(store, ca.id);
  return { caPem: ca.certificatePem, revoked: serials };
}

/** Each CA certificate of an uploaded bundle as its own PEM (leaves in the bundle are not trusted). */
function caCertificatePems(bundle: string): string[] {
  return readPemBlocksOf(bundle, 'CERTIFICATE')
    .map((der) => new X509Certificate(der))
    .filter((certificate) => certificate.ca)
    .map((certificate) => certificate.toString());
}

/** The client certificates that API allowlists name (the only ones a compile needs: not the whole fleet). */
function clientCertificateIdsOf(apis: readonly ApiDefinitionRecord[]): string[] {
  const ids = new Set<string>();
  for (const api of apis) {
    for (const entry of api.allowedCertificates) if (entry.kind === 'client_certificate') ids.add(entry.id);
  }
  return [...ids];
}
