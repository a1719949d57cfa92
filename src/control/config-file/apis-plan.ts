/**
 * planApis: a zone's APIs (Tyk's API definitions) as the configuration file declares them. The
 * file is authoritative for the APIs of a zone it names, matched by name:
 *
 *   in the file and the store   unchanged: kept as is (same id, no write); changed: replaced (PUT),
 *                               keeping its id, so keys and policies that name it keep their rights
 *   in the file only            created
 *   in the store only           deleted (as the admin API deletes, whoever still names it)
 *
 * Checked before any write: each API as the APIs endpoint checks it (api-definition-input.ts),
 * (hostname, listen_path) unique among the zone's APIs and routes in the file, allowlisted
 * certificates that exist (an uploaded leaf of the account, a client certificate of the zone), and
 * no name that two stored APIs of the zone share. The writes, with the routes', are ordered so that
 * each (hostname, path) pair is free when it is taken (pair-order.ts).
 */
import type { LoadedApi, LoadedZone } from '../../config/load-gateway-config.ts';
import { configInvalid, excerpt } from '../../config/yaml-cursor.ts';
import { GatewayError, GW_ERR_API_OBJECT_NOT_FOUND } from '../../errors/index.ts';
import type { AllowedCertificate, ApiDefinitionRecord, ZoneRecord } from '../../model/records.ts';
import { validateApiInput, type ApiInput, type ValidApi } from '../apis/api-definition-input.ts';
import { MAX_APIS_PER_ZONE } from '../apis/api-definition-service.ts';
import { validated, whereOfProblem, ResolvedIds, type PlanContext, type PlannedWrite } from './plan-parts.ts';
import { orderByPairs, pairKey, showPair, type PairWrite } from './pair-order.ts';
import type { ZoneToPlan } from './plan-parts.ts';

/** The zone's routes, as zone-plan.ts planned them. */
export interface RoutesPlan {
  /** (hostname, path prefix) pairs before and after the apply (pairKey). */
  readonly current: readonly string[];
  readonly desired: readonly string[];
  /** Undefined when the routes do not change. */
  readonly write: PlannedWrite | undefined;
}

interface DesiredApi {
  readonly api: LoadedApi;
  /** What the APIs endpoint is sent. */
  readonly input: ApiInput;
  readonly valid: ValidApi;
}

/** The routes' write and the APIs' writes, in an order the store accepts. */
export async function planApis(
  input: ZoneToPlan,
  shape: ZoneRecord,
  zoneId: () => string,
  routes: RoutesPlan,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const { services, principal, ids } = context;
  const desired = validateApis(input.zone, shape, routes.desired);
  await checkAllowlists(desired, input, shape, context);
  const stored = input.zoneRecord === undefined ? [] : await services.apis.list(principal, input.zoneRecord.id);
  const held = new Map<string, string>(routes.current.map((pair) => [pair, 'routes']));
  for (const record of stored) held.set(pairKey(record.hostname, record.listenPath), record.id);
  const writes: PairWrite[] = [];
  if (routes.write !== undefined) {
    writes.push({
      write: routes.write,
      holder: 'routes',
      label: 'a route',
      where: input.zone.where,
      takes: routes.desired,
    });
  }
  const kept = new Set<string>();
  for (const item of desired) {
    const record = storedNamed(item, stored, shape);
    if (record !== undefined) {
      kept.add(record.id);
      ids.set(ResolvedIds.apiKey(shape.name, item.valid.name), record.id);
      if (canonical(record) === canonical(item.valid)) continue;
    }
    writes.push(apiWrite(item, record, shape, zoneId, context));
  }
  const deletes = stored
    .filter((record) => !kept.has(record.id))
    .map((record): PairWrite => {
      context.deletedApis.add(record.id);
      const run = async (): Promise<void> => {
        await services.apis.delete(principal, zoneId(), record.id);
      };
      const target = `zone ${shape.name}: delete API ${record.name}`;
      return { write: { kind: 'api', target, run }, holder: record.id, label: '', where: input.zone.where, takes: [] };
    });
  return orderByPairs(held, [...deletes, ...writes]);
}

/** The stored API of that name; two of them are ambiguous (which one would keep its id?). */
function storedNamed(
  { api, valid }: DesiredApi,
  stored: readonly ApiDefinitionRecord[],
  shape: ZoneRecord,
): ApiDefinitionRecord | undefined {
  const named = stored.filter((record) => record.name === valid.name);
  if (named.length > 1) {
    throw configInvalid(
      api.where,
      `${named.length} APIs of zone ${shape.name} are named ${excerpt(valid.name)}: delete all but one through the admin API`,
    );
  }
  return named[0];
}

/** Creates the API (its id then resolves `api:` in policies) or replaces the stored one. */
function apiWrite(
  { api, input, valid }: DesiredApi,
  record: ApiDefinitionRecord | undefined,
  shape: ZoneRecord,
  zoneId: () => string,
  context: PlanContext,
): PairWrite {
  const { services, principal, ids } = context;
  const run = async (): Promise<void> => {
    if (record !== undefined) await services.apis.update(principal, zoneId(), record.id, input);
    else
      ids.set(ResolvedIds.apiKey(shape.name, valid.name), (await services.apis.create(principal, zoneId(), input)).id);
  };
  return {
    write: { kind: 'api', target: `zone ${shape.name}: API ${valid.name}`, run },
    holder: record?.id ?? `new\0${valid.name}`,
    label: `API ${excerpt(valid.name)}`,
    where: api.where,
    takes: [pairKey(valid.hostname, valid.listenPath)],
  };
}

function validateApis(zone: LoadedZone, shape: ZoneRecord, routePairs: readonly string[]): DesiredApi[] {
  if (zone.apis.length > MAX_APIS_PER_ZONE) {
    throw configInvalid(zone.where, `a zone has at most ${MAX_APIS_PER_ZONE} APIs`);
  }
  const routes = new Set(routePairs);
  const seen = new Map<string, string>();
  return zone.apis.map((api) => {
    const allowed = api.allowedCertificates.map((entry) => entry.input);
    const input: ApiInput = { ...api.input, auth: { ...api.input.auth, allowed_certificates: allowed } };
    const valid = validated(
      (reason) => whereOfProblem(api.whereOf, reason, api.where),
      () => validateApiInput(input, shape),
    );
    const pair = pairKey(valid.hostname, valid.listenPath);
    if (routes.has(pair)) {
      throw configInvalid(
        api.where,
        `a route of this zone is for ${showPair(pair)}: an API and a route cannot share a hostname and path`,
      );
    }
    const first = seen.get(pair);
    if (first !== undefined)
      throw configInvalid(api.where, `an API for ${showPair(pair)} is already declared at ${first}`);
    seen.set(pair, api.where);
    return { api, input, valid };
  });
}

/** What the APIs endpoint checks in the store: an allowlisted id names a leaf of the account or a client certificate of the zone. */
async function checkAllowlists(
  desired: readonly DesiredApi[],
  input: ZoneToPlan,
  shape: ZoneRecord,
  context: PlanContext,
): Promise<void> {
  for (const entry of desired.flatMap(({ api }) => api.allowedCertificates)) {
    const mtlsId = entry.input.mtls_certificate_id?.toLowerCase();
    const clientId = entry.input.client_certificate_id?.toLowerCase();
    if (mtlsId !== undefined) {
      const found = input.certificates.find((certificate) => certificate.id === mtlsId);
      if (found === undefined) throw configInvalid(entry.where, `no mTLS certificate ${mtlsId} in this account`);
      if (found.ca) {
        throw configInvalid(
          entry.where,
          `mTLS certificate ${mtlsId} is a CA; an allowlist names leaf certificates (a CA would admit every certificate it signs: trust it for the hostname in mtls instead)`,
        );
      }
    }
    if (clientId !== undefined && !(await clientCertificateExists(input.zoneRecord, clientId, context))) {
      throw configInvalid(entry.where, `no client certificate ${clientId} in zone ${shape.name}`);
    }
  }
}

async function clientCertificateExists(
  zone: ZoneRecord | undefined,
  id: string,
  context: PlanContext,
): Promise<boolean> {
  if (zone === undefined) return false;
  try {
    await context.services.clientCertificates.get(context.principal, zone.id, id);
    return true;
  } catch (error) {
    if (error instanceof GatewayError && error.code === GW_ERR_API_OBJECT_NOT_FOUND.code) return false;
    throw error;
  }
}

/** An API's fields in a fixed form (the allowlist as a set): equal means no write is needed. */
function canonical(api: ValidApi | ApiDefinitionRecord): string {
  const entry = (allowed: AllowedCertificate): string =>
    allowed.kind === 'sha256' ? `sha256:${allowed.value}` : `${allowed.kind}:${allowed.id}`;
  return JSON.stringify([
    api.name,
    api.hostname,
    api.listenPath,
    api.upstreamUrl,
    api.stripListenPath,
    api.upstreamTimeoutMs,
    api.protocol,
    api.active,
    api.authMode,
    api.tokenRequired,
    api.allowedCertificates.map(entry).sort(),
    api.rateLimit === null ? null : [api.rateLimit.rate, api.rateLimit.per],
  ]);
}
