/**
 * The CSR attributes a profile asks for (RFC 7030 §4.5.2, with the RFC 8951 §4 reading): a profile
 * that allows only elliptic-curve keys names the curves (an id-ecPublicKey attribute whose values are
 * the curve OIDs, as §4.5.2's example does) and ecdsa-with-SHA256. A profile that allows RSA asks for
 * nothing in particular: undefined, answered 204 No Content.
 */
import type { EstKeyType } from '../model/est-records.ts';

const OID = {
  ecPublicKey: '06072a8648ce3d0201',
  'P-256': '06082a8648ce3d030107',
  'P-384': '06052b81040022',
  ecdsaWithSha256: '06082a8648ce3d040302',
} as const;

function tlv(tag: number, content: Buffer): Buffer {
  // Every value here is far below 128 bytes: the short length form.
  return Buffer.concat([Buffer.from([tag, content.length]), content]);
}

/** DER of the CsrAttrs for these key types; undefined when there is nothing to ask. */
export function csrAttrsFor(keyTypes: readonly EstKeyType[]): Buffer | undefined {
  if (keyTypes.includes('RSA') || keyTypes.length === 0) return undefined;
  const curves = keyTypes
    .map((type) => Buffer.from(type === 'P-384' ? OID['P-384'] : OID['P-256'], 'hex'))
    .sort((a, b) => Buffer.compare(a, b));
  const attribute = tlv(0x30, Buffer.concat([Buffer.from(OID.ecPublicKey, 'hex'), tlv(0x31, Buffer.concat(curves))]));
  return tlv(0x30, Buffer.concat([attribute, Buffer.from(OID.ecdsaWithSha256, 'hex')]));
}
