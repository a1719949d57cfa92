/**
 * The CSR attributes a profile asks for (RFC 7030 §4.5.2, with the RFC 8951 §4 reading): a profile
 * that allows only elliptic-curve keys names the curves (an id-ecPublicKey attribute whose values are
 * the curve OIDs, as §4.5.2's example does) and ecdsa-with-SHA256. A profile that allows RSA asks for
 * nothing in particular: undefined, answered 204 No Content. A profile that allows Ed25519 names
 * id-Ed25519 as an OID of its own (RFC 8410 §3: the key and the signature algorithm are one OID).
 */
import type { EstKeyType } from '../model/est-records.ts';

const OID = {
  ecPublicKey: '06072a8648ce3d0201',
  'P-256': '06082a8648ce3d030107',
  'P-384': '06052b81040022',
  ecdsaWithSha256: '06082a8648ce3d040302',
  ed25519: '06032b6570',
} as const;

function tlv(tag: number, content: Buffer): Buffer {
  // Every value here is far below 128 bytes: the short length form.
  return Buffer.concat([Buffer.from([tag, content.length]), content]);
}

/** DER of the CsrAttrs for these key types; undefined when there is nothing to ask. */
export function csrAttrsFor(keyTypes: readonly EstKeyType[]): Buffer | undefined {
  if (keyTypes.includes('RSA') || keyTypes.length === 0) return undefined;
  const curves = keyTypes
    .filter((type) => type === 'P-256' || type === 'P-384')
    .map((type) => Buffer.from(OID[type], 'hex'))
    .sort((a, b) => Buffer.compare(a, b));
  const parts: Buffer[] = [];
  if (curves.length > 0) {
    parts.push(tlv(0x30, Buffer.concat([Buffer.from(OID.ecPublicKey, 'hex'), tlv(0x31, Buffer.concat(curves))])));
    parts.push(Buffer.from(OID.ecdsaWithSha256, 'hex'));
  }
  if (keyTypes.includes('Ed25519')) parts.push(Buffer.from(OID.ed25519, 'hex'));
  return tlv(0x30, Buffer.concat(parts));
}
