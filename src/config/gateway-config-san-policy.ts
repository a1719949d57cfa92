/**
 * `zones[].san_policy` of portcullis.yaml: which subject alternative names the zone's managed CA
 * certifies from a CSR (docs/adr/0019-san-policy-for-issued-certificates.md), in the admin API's
 * wire form, or `default` for the default of the zone's name. Checked here, with the API's rules
 * (pki/san-policy.ts), so that a wrong policy is refused at the line it is on before anything is
 * written.
 */
import { readSanPolicy, sanPolicyWire, type SanPolicyWire } from '../pki/san-policy.ts';
import type { YamlCursor } from './yaml-cursor.ts';

const FIELDS = ['dns_domains', 'email_domains', 'uri_prefixes', 'ip_addresses'] as const;

/** `default`: the zone's default policy (as after DELETE in the API); else exactly this policy. */
export interface DeclaredSanPolicy {
  readonly where: string;
  readonly value: SanPolicyWire | 'default';
}

export function readSanPolicyOfZone(cursor: YamlCursor | undefined): DeclaredSanPolicy | undefined {
  if (cursor === undefined) return undefined;
  if (!cursor.isList && typeof cursor.json() === 'string') {
    if (cursor.string() !== 'default') {
      throw cursor.fail('san_policy is a map (dns_domains, email_domains, uri_prefixes, ip_addresses) or "default"');
    }
    return { where: cursor.where, value: 'default' };
  }
  const fields = cursor.fields(FIELDS);
  try {
    return { where: cursor.where, value: sanPolicyWire(readSanPolicy(cursor.json())) };
  } catch (error) {
    const message = (error as Error).message;
    const field = FIELDS.find((name) => message.includes(name));
    throw (field === undefined ? cursor : (fields.optional(field) ?? cursor)).fail(message);
  }
}
