/**
 * planZone: the writes that make one zone hold what the configuration file declares for it. The
 * file is authoritative for a zone it names: its hostname associations, routes, APIs
 * (apis-plan.ts), custom rules and identity headers become exactly the file's (a key left
 * out means none, and for identity headers the gateway's default). Edge certificates are uploaded
 * when the zone has none with the same SHA-256, and never deleted by the file. Nothing is written
 * when the zone already matches.
 */
import { createHash } from 'node:crypto';
import { MANAGED_CA, type DeclaredRoute } from '../../config/gateway-config-schema.ts';
import type { LoadedZone } from '../../config/load-gateway-config.ts';
import { configInvalid, excerpt } from '../../config/yaml-cursor.ts';
import { readPemBlocksOf } from '../../pki/pem.ts';
import type { Uuid, ZoneRecord } from '../../model/records.ts';
import { planApis, type RoutesPlan } from './apis-plan.ts';
import { pairKey } from './pair-order.ts';
import { validated, ResolvedIds, type PlanContext, type PlannedWrite, type ZoneToPlan } from './plan-parts.ts';
import { MAX_HOSTNAMES_PER_ASSOCIATION, normaliseHostname } from '../certificates/hostname-association-service.ts';
import { MANAGED_REQUEST_HEADERS, type ManagedHeaderState } from '../rulesets/managed-headers-service.ts';
import { planRules } from './rules-plan.ts';
import { planEst } from './est-plan.ts';
import { planSanPolicy } from './san-policy-plan.ts';
import { validateRouteInput, type ValidRoute } from '../routes/route-input.ts';
import { normaliseZoneName } from '../tenancy/tenancy-service.ts';
import { overlapOf } from '../tenancy/zone-names.ts';

export async function planZone(input: ZoneToPlan, context: PlanContext): Promise<PlannedWrite[]> {
  const { account, zone, zoneRecord } = input;
  const { services, principal, ids } = context;
  const name = normaliseZoneName(zone.name);
  const zoneKey = ResolvedIds.zoneKey(name);
  const writes: PlannedWrite[] = [];
  const delegated = zone.delegated?.value;
  if (zoneRecord === undefined) {
    refuseOverlaps(name, input.owner, zone, context);
    writes.push({
      kind: 'zone',
      target: `zone ${name}`,
      run: async () => {
        const accountId = ids.get(ResolvedIds.accountKey(account.name));
        const created = await services.tenancy.createZone(principal, {
          name,
          accountId,
          delegated: delegated ?? false,
        });
        ids.set(zoneKey, created.id);
      },
    });
  } else {
    ids.set(zoneKey, zoneRecord.id);
    if (delegated !== undefined && delegated !== zoneRecord.delegated) {
      writes.push({
        kind: 'zone',
        target: `zone ${name}: delegated ${String(delegated)}`,
        run: async () => {
          await services.tenancy.setDelegated(principal, zoneRecord.id, delegated);
        },
      });
    }
  }
  // Hostname checks only read the zone's name, so a zone still to be created is checked the same way.
  const shape: ZoneRecord = zoneRecord ?? { id: '', accountId: '', name, createdAt: '', delegated: false };
  const zoneId = (): string => ids.get(zoneKey);
  const stored = zoneRecord !== undefined;
  // One after the other, so the same file is always refused for the same first problem.
  writes.push(...(await planEdgeCertificates(zone, shape, stored, zoneId, context)));
  writes.push(...(await planAssociations(input, shape, zoneId, context)));
  const routes = await planRoutes(zone, shape, stored, zoneId, context);
  writes.push(...(await planApis(input, shape, zoneId, routes, context)));
  writes.push(...(await planIdentityHeaders(zone, shape, stored, zoneId, context)));
  writes.push(...(await planRules(zone, shape, stored, zoneId, context)));
  writes.push(...(await planEst(zone, shape, stored, zoneId, context)));
  writes.push(...(await planSanPolicy(zone, shape, stored, zoneId, context)));
  return writes;
}

/**
 * A zone the file creates may not overlap a zone of another account (stored, or created earlier by
 * the file) unless it says `delegated: true`: the same rule createZone applies when the write runs,
 * checked here so that nothing is written before the refusal (docs/adr/0007-zone-ownership.md).
 */
function refuseOverlaps(name: string, owner: string, zone: LoadedZone, context: PlanContext): void {
  const other = context.zoneClaims.find((claim) => claim.owner !== owner && overlapOf(name, claim.name) !== undefined);
  context.zoneClaims.push({ name, owner });
  if (other === undefined || zone.delegated?.value === true) return;
  const how = overlapOf(name, other.name) === 'parent' ? 'contains' : 'lies under';
  throw configInvalid(
    zone.where,
    `zone ${name} ${how} the zone ${other.name} of another account: add "delegated: true" to allow it`,
  );
}

async function planEdgeCertificates(
  zone: LoadedZone,
  shape: ZoneRecord,
  stored: boolean,
  zoneId: () => string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const { services, principal } = context;
  const present = new Set(
    stored
      ? (await services.edgeCertificates.list(principal, shape.id)).map((record) => leafSha256(record.certificatePem))
      : [],
  );
  const writes: PlannedWrite[] = [];
  const declared = new Map<string, string>();
  for (const edge of zone.edgeCertificates) {
    const first = declared.get(edge.fingerprintSha256);
    if (first !== undefined) throw configInvalid(edge.where, `the same certificate as ${first}`);
    declared.set(edge.fingerprintSha256, edge.where);
    // The upload refuses these too; checked here so that nothing is written before the refusal.
    if (!edge.hosts.some((host) => host === shape.name || host.endsWith(`.${shape.name}`))) {
      throw configInvalid(edge.cert.where, `${excerpt(edge.cert.value)} names no hostname of ${shape.name}`);
    }
    if (present.has(edge.fingerprintSha256)) continue;
    writes.push({
      kind: 'edge_certificate',
      target: `zone ${shape.name}: edge certificate ${edge.hosts.join(', ')}`,
      run: async () => {
        const upload = { certificate: edge.certificatePem, privateKey: edge.privateKeyPem };
        await services.edgeCertificates.upload(principal, zoneId(), upload);
      },
    });
  }
  return writes;
}

function leafSha256(pem: string): string {
  const [leaf] = readPemBlocksOf(pem, 'CERTIFICATE');
  return leaf === undefined ? '' : createHash('sha256').update(leaf).digest('hex');
}

/** One (zone, CA) hostname list: the managed CA's, a stored CA's, or one the apply uploads. */
interface AssociationTarget {
  readonly label: string;
  readonly current: readonly string[];
  desired: string[];
  /** The CA id at write time (undefined: the managed CA). */
  readonly caId: () => Uuid | undefined;
}

async function planAssociations(
  input: ZoneToPlan,
  shape: ZoneRecord,
  zoneId: () => string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const { account, zone, zoneRecord, storedCas } = input;
  const { services, principal, ids } = context;
  const currentOf = (caId: Uuid | undefined): Promise<string[]> =>
    zoneRecord === undefined ? Promise.resolve([]) : services.hostnameAssociations.get(principal, zoneRecord.id, caId);
  const targets = new Map<string, AssociationTarget>();
  targets.set(MANAGED_CA, {
    label: 'managed CA',
    current: await currentOf(undefined),
    desired: [],
    caId: () => undefined,
  });
  for (const { id, name } of storedCas) {
    targets.set(id, { label: `CA ${name ?? id}`, current: await currentOf(id), desired: [], caId: () => id });
  }
  for (const entry of zone.mtls) {
    if (entry.hostnames.length > MAX_HOSTNAMES_PER_ASSOCIATION) {
      throw configInvalid(entry.where, `at most ${MAX_HOSTNAMES_PER_ASSOCIATION} hostnames per CA`);
    }
    const hostnames = entry.hostnames.map((hostname) =>
      validated(hostname.where, () => normaliseHostname(hostname.value, shape)),
    );
    const desired = [...new Set(hostnames)].sort();
    if (entry.ca === MANAGED_CA) {
      targetOf(targets, MANAGED_CA).desired = desired;
      continue;
    }
    const ca = account.cas.find((candidate) => candidate.name === entry.ca);
    const caKey = ResolvedIds.caKey(account.name, ca?.fingerprintSha256 ?? '');
    // A CA already stored is known by id now; one the apply uploads, only once uploaded.
    const key = ids.has(caKey) ? ids.get(caKey) : caKey;
    const target = targets.get(key) ?? {
      label: `CA ${entry.ca}`,
      current: [],
      desired: [],
      caId: () => ids.get(caKey),
    };
    target.desired = desired;
    targets.set(key, target);
  }
  return [...targets.values()]
    .filter((target) => !sameList(target.current, target.desired))
    .map((target) => ({
      kind: 'mtls' as const,
      target: `zone ${shape.name}: hostnames of the ${target.label}`,
      run: async () => {
        await services.hostnameAssociations.replace(principal, zoneId(), target.caId(), target.desired);
      },
    }));
}

function targetOf(targets: Map<string, AssociationTarget>, key: string): AssociationTarget {
  const target = targets.get(key);
  if (target === undefined) throw new Error(`config plan: no association target ${key}`);
  return target;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

async function planRoutes(
  zone: LoadedZone,
  shape: ZoneRecord,
  stored: boolean,
  zoneId: () => string,
  context: PlanContext,
): Promise<RoutesPlan> {
  const { services, principal } = context;
  const seen = new Map<string, string>();
  const desired = zone.routes.map((route) => {
    // The refusal names its field first (`upstream must be ...`): point at that key's line.
    const valid = validated(
      (reason) => whereOfRouteProblem(route, reason),
      () => validateRouteInput(route.input, shape),
    );
    const first = seen.get(routeKey(valid));
    if (first !== undefined) {
      throw configInvalid(
        route.where,
        `a route for ${valid.hostname}${valid.pathPrefix} is already declared at ${first}`,
      );
    }
    seen.set(routeKey(valid), route.where);
    return valid;
  });
  const current = stored ? await services.routes.list(principal, shape.id) : [];
  const pairs = (routes: readonly ValidRoute[]): string[] => routes.map((route) => routeKey(route));
  const plan = { current: pairs(current), desired: pairs(desired) };
  if (sameRoutes(current, desired)) return { ...plan, write: undefined };
  const run = async (): Promise<void> => {
    await services.routes.replaceAll(
      principal,
      zoneId(),
      zone.routes.map((route) => route.input),
    );
  };
  return { ...plan, write: { kind: 'routes', target: `zone ${shape.name}: routes`, run } };
}

/** validateRouteInput's reasons start with the field (`upstream must be ...`); hostname ones quote it. */
function whereOfRouteProblem(route: DeclaredRoute, reason: string): string {
  // The longest key that starts the reason: `upstream_timeout_ms must…` is not about `upstream`.
  const field = Object.keys(route.whereOf)
    .filter((key) => reason.startsWith(key))
    .reduce<string | undefined>((longest, key) => (key.length > (longest?.length ?? 0) ? key : longest), undefined);
  const key = field ?? (/hostname/i.test(reason) ? 'hostname' : undefined);
  return (key === undefined ? undefined : route.whereOf[key]) ?? route.where;
}

function routeKey(route: Pick<ValidRoute, 'hostname' | 'pathPrefix'>): string {
  return pairKey(route.hostname, route.pathPrefix);
}

/** Same routes whatever their order ((hostname, prefix) is unique, so sorted rows are canonical). */
function sameRoutes(current: readonly ValidRoute[], desired: readonly ValidRoute[]): boolean {
  const rows = (routes: readonly ValidRoute[]): string =>
    routes
      .map((route) =>
        JSON.stringify([
          route.hostname,
          route.pathPrefix,
          route.upstreamUrl,
          route.stripPrefix,
          route.upstreamTimeoutMs,
          route.description,
        ]),
      )
      .sort()
      .join('\n');
  return rows(current) === rows(desired);
}

async function planIdentityHeaders(
  zone: LoadedZone,
  shape: ZoneRecord,
  stored: boolean,
  zoneId: () => string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const { services, principal } = context;
  // Left out of the file: the gateway's default (managed-headers-service.ts), not "none".
  const formats = zone.identityHeaders?.value;
  const desired: ManagedHeaderState[] = MANAGED_REQUEST_HEADERS.map((transform) => ({
    id: transform.id,
    enabled: formats === undefined ? transform.enabledByDefault : formats.includes(transform.format),
  }));
  const current: ManagedHeaderState[] = stored
    ? (await services.managedHeaders.get(principal, shape.id)).managed_request_headers
    : MANAGED_REQUEST_HEADERS.map((transform) => ({ id: transform.id, enabled: transform.enabledByDefault }));
  const enabledOf = (states: readonly ManagedHeaderState[], id: string): boolean =>
    states.some((state) => state.id === id && state.enabled);
  if (desired.every((state) => enabledOf(current, state.id) === state.enabled)) return [];
  return [
    {
      kind: 'identity_headers',
      target: `zone ${shape.name}: identity headers`,
      run: async () => {
        await services.managedHeaders.edit(principal, zoneId(), { managed_request_headers: desired });
      },
    },
  ];
}
