/**
 * compileGatewaySnapshot: turns what the store says (zones, hostname associations, edge
 * certificates, CAs, client certificate status) into the immutable GatewaySnapshot the data plane
 * reads by reference (DESIGN.md §2), so no request ever reads the store.
 *
 *   hostnames = associated hostnames ∪ hosts of edge certificates ∪ hostnames of routes and APIs
 *   per hostname: edge certificate (uploaded, else issued by the edge CA)
 *                 + exactly the associated CAs (a missing CA is skipped: trusted by nobody)
 *                 + revoked serials of the managed CA(s) it trusts
 *                 + revocation of its account's uploaded CAs (ca-revocation-compiler.ts)
 *   default policy: an edge-CA certificate for `localhost`, no client CA
 *   per zone: custom rules compiled to closures, identity headers; routes of owned hostnames
 *
 * A hostname belongs to one zone (the most specific zone that names it); only that zone's
 * associations and edge certificates apply to it, so one tenant cannot change another's host.
 */
import { X509Certificate } from 'node:crypto';
import type { Store } from '../store/ports.ts';
import type {
  EdgeCertificateRecord,
  HexId,
  HostnameAssociationRecord,
  RouteRecord,
  ZoneRecord,
} from '../store/records.ts';
import type { SecretBox } from '../store/secret-box.ts';
import {
  buildRevocationIndex,
  createDefaultPolicy,
  createHostPolicy,
  GatewaySnapshot,
  normalizeHostname,
  type HostPolicy,
} from '../runtime-config/gateway-snapshot.ts';
import { readPemBlocksOf } from '../pki/pem.ts';
import type { EdgeCaService } from './edge-ca-service.ts';
import { compileRoutes, compileZoneRuntimes, type CompileProblem } from './zone-runtime-compiler.ts';
import { compileApis, compileKeys } from './api-runtime-compiler.ts';
import { RouteTable } from '../runtime-config/route-table.ts';
import { compileCaRevocations } from './ca-revocation-compiler.ts';

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
}

interface ServerMaterial {
  certPem: string;
  keyPem: string;
}

interface ClientTrust {
  caPems: string[];
  /** Revoked serials keyed by the issuing CA's PEM (what createHostPolicy accepts). */
  revoked: Map<string, string[]>;
}

/** Where the hostname came from: the zone it belongs to and that zone's associations. */
interface HostSource {
  zone: ZoneRecord;
  associations: HostnameAssociationRecord[];
}

const DEFAULT_HOSTNAME = 'localhost';

export async function compileGatewaySnapshot(deps: SnapshotCompilerDeps): Promise<GatewaySnapshot> {
  const { store } = deps;
  const zones = new Map((await store.listZones({})).map((zone) => [zone.id, zone]));
  const associations = await store.listAllAssociations();
  const edgeCertificates = await store.listAllEdgeCertificates();
  const routes = await store.listAllRoutes();
  const apis = await store.listAllApis();
  const sources = hostSources(zones, associations, edgeCertificates, [...routes, ...apis]);
  const serverMaterial = edgeCaMaterial(deps.edgeCa);
  const trust = clientTrustReader(store);

  const hosts: { hostname: string; source: HostSource; server: ServerMaterial; client: ClientTrust }[] = [];
  const revokedByCa = new Map<string, string[]>();
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
  const revocations = buildRevocationIndex(revokedByCa);
  const mtlsCertificates = await store.listAllMtlsCertificates();
  // One per account, shared by its hosts: an account's lists never reach another account's hosts.
  const caRevocations = await compileCaRevocations(store, mtlsCertificates);
  const policies: HostPolicy[] = hosts.map(({ hostname, source, server, client }) =>
    createHostPolicy({
      hostname,
      zoneId: source.zone.id,
      ...server,
      clientCaPems: client.caPems,
      clientAuth: client.caPems.length > 0 ? 'optional' : 'none',
      revocations,
      caRevocation: client.caPems.length > 0 ? caRevocations.get(source.zone.accountId) : undefined,
    }),
  );
  const defaultPolicy = createDefaultPolicy(
    await deps.edgeCa.serverCredentials(deps.defaultNames ?? [DEFAULT_HOSTNAME]),
  );
  const onProblem = deps.onProblem ?? (() => undefined);
  const ownerOf = (hostname: string): string | undefined => sources.get(normalizeHostname(hostname))?.zone.id;
  const apiRoutes = compileApis(
    {
      apis,
      zones,
      mtlsCertificates,
      clientCertificates: await store.listAllClientCertificates(),
    },
    ownerOf,
    onProblem,
  );
  const runtime = {
    routes: new RouteTable([...compileRoutes(routes, ownerOf, onProblem), ...apiRoutes]),
    keys: compileKeys(await store.listAllKeys(), await store.listAllPolicies()),
    zones: compileZoneRuntimes(
      zones.keys(),
      await store.listAllRulesets(),
      await store.listAllZoneSettings(),
      onProblem,
    ),
  };
  return new GatewaySnapshot(deps.version ?? Date.now(), policies, defaultPolicy, runtime);
}

// ---------------------------------------------------------------------------------------------
// Hostnames and the zone each belongs to.

function hostSources(
  zones: ReadonlyMap<HexId, ZoneRecord>,
  associations: readonly HostnameAssociationRecord[],
  edgeCertificates: readonly EdgeCertificateRecord[],
  routed: readonly Pick<RouteRecord, 'hostname' | 'zoneId'>[],
): Map<string, HostSource> {
  const candidates = new Map<string, Set<ZoneRecord>>();
  const mention = (hostname: string, zoneId: HexId): void => {
    const key = normalizeHostname(hostname);
    const zone = zones.get(zoneId);
    if (key === '' || zone === undefined) return;
    candidates.set(key, (candidates.get(key) ?? new Set()).add(zone));
  };
  for (const association of associations) mention(association.hostname, association.zoneId);
  for (const edge of edgeCertificates) for (const host of edge.hosts) mention(host, edge.zoneId);
  for (const route of routed) mention(route.hostname, route.zoneId);

  const sources = new Map<string, HostSource>();
  for (const [hostname, mentioning] of [...candidates].sort(([a], [b]) => a.localeCompare(b))) {
    const zone = owningZone(hostname, [...mentioning]);
    if (zone === undefined) continue;
    const own = associations.filter((a) => a.zoneId === zone.id && normalizeHostname(a.hostname) === hostname);
    sources.set(hostname, { zone, associations: own });
  }
  return sources;
}

/** The most specific zone whose name contains the hostname; else the first zone that named it. */
function owningZone(hostname: string, zones: readonly ZoneRecord[]): ZoneRecord | undefined {
  const bare = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
  const containing = zones.filter((zone) => bare === zone.name || bare.endsWith(`.${zone.name}`));
  containing.sort((a, b) => b.name.length - a.name.length);
  return containing[0] ?? zones[0];
}

// ---------------------------------------------------------------------------------------------
// Server certificate: an uploaded edge certificate, else one from the edge CA.

/** Whether an edge certificate host (exact, or `*.zone` for exactly one label) covers the hostname. */
export function hostCovers(pattern: string, hostname: string): boolean {
  const host = normalizeHostname(pattern);
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
): (zone: ZoneRecord, associations: HostnameAssociationRecord[]) => Promise<ClientTrust> {
  const managed = new Map<HexId, Promise<{ caPem: string; revoked: string[] } | undefined>>();
  const managedOf = (accountId: HexId) => {
    let entry = managed.get(accountId);
    if (entry === undefined) {
      entry = readManagedCa(store, accountId);
      managed.set(accountId, entry);
    }
    return entry;
  };

  return async (zone, associations) => {
    const caPems = new Set<string>();
    const revoked = new Map<string, string[]>();
    for (const association of associations) {
      if (association.mtlsCertificateId === null) {
        const ca = await managedOf(zone.accountId);
        if (ca === undefined) continue; // no managed CA yet: nothing to trust
        caPems.add(ca.caPem);
        revoked.set(ca.caPem, ca.revoked);
      } else {
        const uploaded = await store.getMtlsCertificate(zone.accountId, association.mtlsCertificateId);
        if (uploaded === undefined || !uploaded.ca) continue; // deleted or not a CA: never trusted
        for (const pem of caCertificatePems(uploaded.certificatesPem)) caPems.add(pem);
      }
    }
    return { caPems: [...caPems], revoked };
  };
}

async function readManagedCa(
  store: Store,
  accountId: HexId,
): Promise<{ caPem: string; revoked: string[] } | undefined> {
  const ca = await store.getManagedCa(accountId);
  if (ca === undefined) return undefined;
  // pending_revocation already counts as revoked: revocation takes effect at once (DESIGN.md §3).
  const revoked = (await store.listRevokedByCa(ca.id))
    .filter((cert) => cert.status === 'revoked' || cert.status === 'pending_revocation')
    .map((cert) => cert.serialNumber);
  return { caPem: ca.certificatePem, revoked };
}

/** Each CA certificate of an uploaded bundle as its own PEM (leaves in the bundle are not trusted). */
function caCertificatePems(bundle: string): string[] {
  return readPemBlocksOf(bundle, 'CERTIFICATE')
    .map((der) => new X509Certificate(der))
    .filter((certificate) => certificate.ca)
    .map((certificate) => certificate.toString());
}
