/** Loads the parts of a zone's hostname inventory from the API (one call per kind, in parallel). */
import type {
  EdgeCertificateWire,
  GatewayApiWire,
  HostnameAssociationsWire,
  MtlsCertificateWire,
  RouteWire,
  RuleWire,
  RulesetWire,
  ZoneWire,
} from '../../../src/admin-api/wire-types.ts';
import { ApiError, get, list } from '../api/client.ts';
import { hostnameInventory, type HostnameRow, type TrustingCa } from './hostname-inventory.ts';

export const CUSTOM_RULES_ENTRYPOINT = (zoneId: string): string =>
  `/zones/${zoneId}/rulesets/phases/http_request_firewall_custom/entrypoint`;

/** The zone's custom rules in order; [] when the zone has no entry point yet (the API's 404). */
export async function loadCustomRules(
  zoneId: string,
): Promise<{ ruleset: RulesetWire | undefined; rules: RuleWire[] }> {
  try {
    const ruleset = await get<RulesetWire>(CUSTOM_RULES_ENTRYPOINT(zoneId));
    return { ruleset, rules: ruleset.rules ?? [] };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { ruleset: undefined, rules: [] };
    throw error;
  }
}

/** Every uploaded CA of the account (the API pages them: read page after page, bounded). */
export async function loadUploadedCas(accountId: string): Promise<MtlsCertificateWire[]> {
  const all: MtlsCertificateWire[] = [];
  for (let page = 1; page <= 20; page++) {
    const { items, info } = await list<MtlsCertificateWire>(`/accounts/${accountId}/mtls_certificates`, {
      page,
      per_page: 50,
    });
    all.push(...items.filter((item) => item.ca));
    if (info === undefined || page >= info.total_pages) break;
  }
  return all;
}

export interface ZoneHostnames {
  readonly rows: HostnameRow[];
  readonly cas: TrustingCa[];
  readonly rules: RuleWire[];
  /** Hostnames each CA is associated with in this zone, by CA id ('' for the managed CA). */
  readonly associations: ReadonlyMap<string, readonly string[]>;
}

export async function loadZoneHostnames(zone: ZoneWire): Promise<ZoneHostnames> {
  const [routes, apis, edge, managed, uploaded, custom] = await Promise.all([
    list<RouteWire>(`/zones/${zone.id}/gateway/routes`),
    list<GatewayApiWire>(`/zones/${zone.id}/gateway/apis`),
    list<EdgeCertificateWire>(`/zones/${zone.id}/custom_certificates`),
    get<HostnameAssociationsWire>(`/zones/${zone.id}/certificate_authorities/hostname_associations`),
    loadUploadedCas(zone.account.id),
    loadCustomRules(zone.id),
  ]);
  const uploadedAssociations = await Promise.all(
    uploaded.map((ca) =>
      get<HostnameAssociationsWire>(`/zones/${zone.id}/certificate_authorities/hostname_associations`, {
        mtls_certificate_id: ca.id,
      }),
    ),
  );
  const managedCa: TrustingCa = { id: undefined, name: `Managed CA of ${zone.account.name}` };
  const cas: TrustingCa[] = [managedCa, ...uploaded.map((ca) => ({ id: ca.id, name: ca.name || ca.issuer }))];
  const rows = hostnameInventory({
    routes: routes.items,
    apis: apis.items,
    edgeCertificates: edge.items,
    associations: [
      { ca: managedCa, hostnames: managed.hostnames },
      ...uploaded.map((ca, index) => ({
        ca: { id: ca.id, name: ca.name || ca.issuer },
        hostnames: uploadedAssociations[index]?.hostnames ?? [],
      })),
    ],
    rules: custom.rules,
  });
  const associations = new Map<string, readonly string[]>([['', managed.hostnames]]);
  uploaded.forEach((ca, index) => associations.set(ca.id, uploadedAssociations[index]?.hostnames ?? []));
  return { rows, cas, rules: custom.rules, associations };
}
