/**
 * The revocation parts of the config file (docs/adr/0014): `cas[].revocation` (the CA's settings
 * in the admin API's wire form, a CRL file, its block list) and the account's
 * `blocked_certificates`. Values are checked by the control plane's validators
 * (control/revocation/ca-revocation-input.ts) when the file is planned.
 *
 *   revocation:
 *     crl: ./fleet.crl                 # PEM or DER
 *     crl_fetch: { urls: [...], refresh_interval_seconds: 3600 }   # a map (`{}` too): fetching on
 *     ocsp: { timeout_ms: 3000 }       # a map (`ocsp: {}` for the defaults): OCSP on
 *     on_unavailable: fail_closed
 *     allow_private_addresses: false
 *     blocked: [{ sha256: … }, { serial: … }, { file: ./device.pem }]
 */
import type { YamlCursor } from './yaml-cursor.ts';
import { listOf, located } from './yaml-items.ts';
import type { DeclaredBlock, DeclaredCaRevocation } from './gateway-config-model.ts';

export function readCaRevocation(cursor: YamlCursor): DeclaredCaRevocation {
  const fields = cursor.fields(['crl', 'crl_fetch', 'ocsp', 'on_unavailable', 'allow_private_addresses', 'blocked']);
  const crlFetch = fields.optional('crl_fetch');
  const ocsp = fields.optional('ocsp');
  const fetchFields =
    crlFetch === undefined || crlFetch.isNull
      ? undefined
      : crlFetch.fields(['urls', 'refresh_interval_seconds', 'timeout_ms']);
  const ocspFields =
    ocsp === undefined || ocsp.isNull ? undefined : ocsp.fields(['timeout_ms', 'nonce', 'max_cache_seconds']);
  const crl = fields.optional('crl');
  return {
    where: cursor.where,
    settings: {
      on_unavailable: fields.optional('on_unavailable')?.string(),
      allow_private_addresses: fields.optional('allow_private_addresses')?.boolean(),
      ...(crlFetch === undefined
        ? {}
        : {
            crl_fetch: {
              enabled: true,
              urls: fetchFields?.optional('urls')?.strings(),
              refresh_interval_seconds: fetchFields?.optional('refresh_interval_seconds')?.number(),
              timeout_ms: fetchFields?.optional('timeout_ms')?.number(),
            },
          }),
      ...(ocsp === undefined
        ? {}
        : {
            ocsp: {
              enabled: true,
              timeout_ms: ocspFields?.optional('timeout_ms')?.number(),
              nonce: ocspFields?.optional('nonce')?.boolean(),
              max_cache_seconds: ocspFields?.optional('max_cache_seconds')?.number(),
            },
          }),
    },
    crl: crl === undefined ? undefined : located(crl),
    blocked: listOf(fields.optional('blocked'), readBlock),
  };
}

/** `{ sha256 }`, `{ serial }` or `{ file }`, each with an optional `description`. */
export function readBlock(cursor: YamlCursor): DeclaredBlock {
  const fields = cursor.fields(['sha256', 'serial', 'file', 'description']);
  const description = fields.optional('description')?.string();
  const sha256 = fields.optional('sha256');
  const serial = fields.optional('serial');
  const file = fields.optional('file');
  const given = [sha256, serial, file].filter((value) => value !== undefined);
  if (given.length !== 1) throw cursor.fail('give exactly one of sha256, serial and file');
  if (sha256 !== undefined) return { where: sha256.where, sha256: sha256.string(), description };
  if (serial !== undefined) return { where: serial.where, serial: serial.string(), description };
  return { where: cursor.where, file: located(file as YamlCursor), description };
}
