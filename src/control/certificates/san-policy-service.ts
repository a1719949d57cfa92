/**
 * SanPolicyService: a zone's SAN policy (src/pki/san-policy.ts, docs/adr/0019-san-policy-for-issued-certificates.md),
 * stored as the zone setting `client_certificate_san_policy` in its wire form. A zone that never set one has the
 * default of its name (defaultSanPolicy); DELETE goes back to it. The client-certificate service reads the policy
 * when it issues (control plane only: nothing on the data plane depends on it).
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import {
  defaultSanPolicy,
  readSanPolicy,
  sanPolicyWire,
  type SanPolicy,
  type SanPolicyWire,
} from '../../pki/san-policy.ts';
import type { Store } from '../../store/ports.ts';
import type { HexId, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inZoneTransaction } from '../account-transaction.ts';

export const SAN_POLICY_SETTING = 'client_certificate_san_policy';

export interface SanPolicyView extends SanPolicyWire {
  /** True while the zone uses the default of its name (never set, or reset by DELETE). */
  is_default: boolean;
}

/**
 * The policy in force for a zone, from its stored setting (undefined: never set → the default). A stored value
 * that no longer reads (written by a later version) falls back to the default, which is the narrower choice.
 */
export function sanPolicyOf(
  zone: Pick<ZoneRecord, 'name'>,
  stored: unknown,
): { policy: SanPolicy; isDefault: boolean } {
  if (stored === undefined || stored === null) return { policy: defaultSanPolicy(zone.name), isDefault: true };
  try {
    return { policy: readSanPolicy(stored), isDefault: false };
  } catch {
    return { policy: defaultSanPolicy(zone.name), isDefault: true };
  }
}

function viewOf(result: { policy: SanPolicy; isDefault: boolean }): SanPolicyView {
  return { ...sanPolicyWire(result.policy), is_default: result.isDefault };
}

export class SanPolicyService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;

  constructor(store: Store, tenancy: TenancyService) {
    this.#store = store;
    this.#tenancy = tenancy;
  }

  async get(principal: Principal, zoneId: HexId): Promise<SanPolicyView> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return viewOf(sanPolicyOf(zone, await this.#store.getZoneSetting(zone.id, SAN_POLICY_SETTING)));
  }

  /** Replaces the policy with `wire` (fields left out are empty lists / false). Checked before anything is written. */
  async set(principal: Principal, zoneId: HexId, wire: unknown): Promise<SanPolicyView> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    let policy: SanPolicy;
    try {
      policy = readSanPolicy(wire);
    } catch (error) {
      throw GW_ERR_API_VALIDATION.create((error as Error).message);
    }
    await inZoneTransaction(this.#store, zone, (store) =>
      store.putZoneSetting(zone.id, SAN_POLICY_SETTING, sanPolicyWire(policy)),
    );
    return viewOf({ policy, isDefault: false });
  }

  /** Back to the zone's default policy. */
  async reset(principal: Principal, zoneId: HexId): Promise<SanPolicyView> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    await inZoneTransaction(this.#store, zone, (store) => store.putZoneSetting(zone.id, SAN_POLICY_SETTING, null));
    return viewOf({ policy: defaultSanPolicy(zone.name), isDefault: true });
  }
}
