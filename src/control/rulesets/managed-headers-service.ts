/**
 * ManagedHeadersService: Cloudflare's Managed Transforms for request headers
 * (cloudflare-compatibility.md §8.1), i.e. which verified-identity headers a zone sends upstream.
 * Stored as the zone setting `managed_request_headers`, a `Record<id, boolean>`.
 *
 *   add_client_certificate_headers    Cloudflare's cf-cert-* headers             identity format 'cf'
 *   add_forwarded_client_cert_header  Envoy's x-forwarded-client-cert            identity format 'xfcc'
 *   add_rfc9440_client_cert_headers   RFC 9440 Client-Cert / Client-Cert-Chain   identity format 'rfc9440'
 *
 * Default for a zone that never set them: only add_forwarded_client_cert_header. Cloudflare ships
 * every transform off, but an mTLS gateway whose upstreams learn nothing about the client is not
 * much use out of the box, and XFCC is the format most upstreams (Envoy, Istio, Tyk) already read.
 * An id missing from a stored value (a transform added in a later version) takes its default.
 *
 * DELETE follows Cloudflare's contract ("Disables all Managed Transforms", 204): every transform is
 * stored as off, not reset to the default above. Client-sent copies of these headers are stripped
 * whatever is set here (docs/architecture.md, "A request's path"), so turning them off never lets a client supply its own.
 * There are no response-header transforms; an edit may send an empty list of them, nothing more.
 */
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { IdentityFormat } from '../../config/identity-formats.ts';
import type { Store } from '../../store/ports.ts';
import type { HexId, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { inZoneTransaction } from '../account-transaction.ts';

export const MANAGED_REQUEST_HEADERS_SETTING = 'managed_request_headers';

/** Every managed request header transform, in the order the API lists them. */
export const MANAGED_REQUEST_HEADERS = Object.freeze([
  { id: 'add_client_certificate_headers', format: 'cf', enabledByDefault: false },
  { id: 'add_forwarded_client_cert_header', format: 'xfcc', enabledByDefault: true },
  { id: 'add_rfc9440_client_cert_headers', format: 'rfc9440', enabledByDefault: false },
] as const satisfies readonly { id: string; format: IdentityFormat; enabledByDefault: boolean }[]);

export type ManagedRequestHeaderId = (typeof MANAGED_REQUEST_HEADERS)[number]['id'];

export interface ManagedHeaderState {
  id: string;
  enabled: boolean;
}

export interface ManagedHeadersEdit {
  managed_request_headers?: readonly ManagedHeaderState[];
  managed_response_headers?: readonly ManagedHeaderState[];
}

export interface ManagedHeaders {
  managed_request_headers: ManagedHeaderState[];
  /** Always empty: the gateway has no response-header transforms. */
  managed_response_headers: ManagedHeaderState[];
}

/**
 * identityFormatsOf: the identity header formats a zone forwards, from its stored setting
 * (undefined when never set → the default). Pure, for the snapshot compiler; a malformed stored
 * value counts as unset rather than failing the snapshot.
 *
 * @example identityFormatsOf(undefined) // ['xfcc']
 */
export function identityFormatsOf(value: unknown): IdentityFormat[] {
  const states = statesOf(value);
  return MANAGED_REQUEST_HEADERS.filter((transform) => states.get(transform.id) === true).map((t) => t.format);
}

/** Each transform's state: the stored boolean, else its default. */
function statesOf(value: unknown): Map<ManagedRequestHeaderId, boolean> {
  const stored = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  return new Map(
    MANAGED_REQUEST_HEADERS.map((transform) => {
      const enabled: unknown = (stored as Record<string, unknown>)[transform.id];
      return [transform.id, typeof enabled === 'boolean' ? enabled : transform.enabledByDefault];
    }),
  );
}

function viewOf(states: ReadonlyMap<ManagedRequestHeaderId, boolean>): ManagedHeaders {
  return {
    managed_request_headers: [...states].map(([id, enabled]) => ({ id, enabled })),
    managed_response_headers: [],
  };
}

function isKnown(id: string): id is ManagedRequestHeaderId {
  return MANAGED_REQUEST_HEADERS.some((transform) => transform.id === id);
}

export class ManagedHeadersService {
  readonly #store: Store;
  readonly #tenancy: TenancyService;

  constructor(store: Store, tenancy: TenancyService) {
    this.#store = store;
    this.#tenancy = tenancy;
  }

  async get(principal: Principal, zoneId: HexId): Promise<ManagedHeaders> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return viewOf(statesOf(await this.#store.getZoneSetting(zone.id, MANAGED_REQUEST_HEADERS_SETTING)));
  }

  /** Turns the listed transforms on or off; the others keep their state. */
  async edit(principal: Principal, zoneId: HexId, edit: ManagedHeadersEdit): Promise<ManagedHeaders> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    const changes = checkEdit(edit);
    return this.#write(zone, (states) => {
      for (const [id, enabled] of changes) states.set(id, enabled);
    });
  }

  /** Turns every transform off (Cloudflare's DELETE; see the header comment). */
  async delete(principal: Principal, zoneId: HexId): Promise<ManagedHeaders> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    return this.#write(zone, (states) => {
      for (const id of states.keys()) states.set(id, false);
    });
  }

  /** Read, change, store the complete map, under the account lock (two edits never lose one). */
  #write(zone: ZoneRecord, change: (states: Map<ManagedRequestHeaderId, boolean>) => void): Promise<ManagedHeaders> {
    return inZoneTransaction(this.#store, zone, async (store) => {
      const states = statesOf(await store.getZoneSetting(zone.id, MANAGED_REQUEST_HEADERS_SETTING));
      change(states);
      await store.putZoneSetting(zone.id, MANAGED_REQUEST_HEADERS_SETTING, Object.fromEntries(states));
      return viewOf(states);
    });
  }
}

function checkEdit(edit: ManagedHeadersEdit): Map<ManagedRequestHeaderId, boolean> {
  const response = edit.managed_response_headers ?? [];
  if (response.length > 0) {
    throw GW_ERR_API_VALIDATION.create(
      `unknown managed response header transform "${response[0]?.id.slice(0, 80) ?? ''}" (there are none)`,
    );
  }
  const changes = new Map<ManagedRequestHeaderId, boolean>();
  for (const { id, enabled } of edit.managed_request_headers ?? []) {
    if (!isKnown(id)) {
      throw GW_ERR_API_VALIDATION.create(
        `unknown managed request header transform "${id.slice(0, 80)}"; known: ${MANAGED_REQUEST_HEADERS.map((t) => t.id).join(', ')}`,
      );
    }
    if (changes.has(id)) throw GW_ERR_API_VALIDATION.create(`managed request header transform "${id}" is listed twice`);
    changes.set(id, enabled);
  }
  return changes;
}
