/**
 * planSanPolicy: a zone's SAN policy (docs/adr/0019-san-policy-for-issued-certificates.md) as the
 * configuration file's `san_policy:` declares it. Only for a zone with the key: the file then says
 * exactly which names the zone's managed CA certifies (a map), or that the zone uses the default of
 * its name (`default`). Without the key, the policy set through the API or CLI is left alone. An
 * unchanged policy is not written again.
 */
import type { LoadedZone } from '../../config/load-gateway-config.ts';
import type { ZoneRecord } from '../../model/records.ts';
import type { SanPolicyWire } from '../../pki/san-policy.ts';
import type { PlanContext, PlannedWrite } from './plan-parts.ts';

export async function planSanPolicy(
  zone: LoadedZone,
  shape: ZoneRecord,
  stored: boolean,
  zoneId: () => string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const declared = zone.sanPolicy?.value;
  if (declared === undefined) return [];
  const { services, principal } = context;
  // A zone the apply creates starts with the default policy.
  const current = stored ? await services.sanPolicies.get(principal, shape.id) : undefined;
  const target = `zone ${shape.name}: SAN policy`;
  if (declared === 'default') {
    if (current === undefined || current.is_default) return [];
    return [
      {
        kind: 'san_policy',
        target: `${target} (default)`,
        run: async () => {
          await services.sanPolicies.reset(principal, zoneId());
        },
      },
    ];
  }
  if (current !== undefined && !current.is_default && samePolicy(current, declared)) return [];
  return [
    {
      kind: 'san_policy',
      target,
      run: async () => {
        await services.sanPolicies.set(principal, zoneId(), declared);
      },
    },
  ];
}

function samePolicy(a: SanPolicyWire, b: SanPolicyWire): boolean {
  const list = (values: readonly string[]): string => JSON.stringify(values);
  return (
    list(a.dns_domains) === list(b.dns_domains) &&
    list(a.email_domains) === list(b.email_domains) &&
    list(a.uri_prefixes) === list(b.uri_prefixes) &&
    a.ip_addresses === b.ip_addresses
  );
}
