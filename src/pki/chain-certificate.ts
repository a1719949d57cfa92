/**
 * ChainCertificate: one certificate of a client's certification path, parsed once by the ASN.1 schema for the
 * client-chain policy (client-chain-policy.ts). Extensions are kept as the list the certificate carries, in
 * order and with repeats, so that the rules can see a duplicate instead of a map that hides it. Nothing here
 * judges the certificate: the rules do, and each reads only the extension it needs.
 *
 * Certificates above the leaf (intermediates, trust anchors) are shared by many clients, so their parse is
 * memoised by SHA-256 of the DER in a small bounded map (a client may send any intermediate: the map must not
 * grow without bound). Leaves are not memoised here: the data plane caches the verdict per chain.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, type Extension } from '@peculiar/asn1-x509';
import { isSingleDerSequence } from './der-length.ts';

export interface ChainCertificate {
  readonly asn: Certificate;
  /** The extensions in certificate order; an OID may appear twice (a defect the rules report). */
  readonly extensions: readonly Extension[];
  /** Subject and issuer DER-equal (RFC 5280 §3.3): a root, or a key rollover certificate. */
  readonly selfIssued: boolean;
}

const MEMO_SIZE = 256;
const memo = new Map<string, ChainCertificate>();

/** Parses one DER certificate; undefined when it is not exactly one X.509 certificate. Never throws. */
export function parseChainCertificate(der: Uint8Array, memoise = false): ChainCertificate | undefined {
  const key = memoise ? createHash('sha256').update(der).digest('base64') : undefined;
  const cached = key === undefined ? undefined : memo.get(key);
  if (cached !== undefined) return cached;
  const parsed = parse(der);
  if (parsed !== undefined && key !== undefined) {
    const oldest = memo.keys().next();
    if (memo.size >= MEMO_SIZE && oldest.done !== true) memo.delete(oldest.value);
    memo.set(key, parsed);
  }
  return parsed;
}

function parse(der: Uint8Array): ChainCertificate | undefined {
  if (!isSingleDerSequence(der)) return undefined;
  try {
    const asn = AsnConvert.parse(der, Certificate);
    const tbs = asn.tbsCertificate;
    const subject = Buffer.from(AsnConvert.serialize(tbs.subject));
    const issuer = Buffer.from(AsnConvert.serialize(tbs.issuer));
    return {
      asn,
      extensions: tbs.extensions === undefined ? [] : [...tbs.extensions],
      selfIssued: subject.equals(issuer),
    };
  } catch {
    return undefined;
  }
}

/** The first extension with this OID (duplicates are the extensions rule's business). */
export function extensionOf(certificate: ChainCertificate, oid: string): Extension | undefined {
  return certificate.extensions.find((extension) => extension.extnID === oid);
}

/** The value bytes of an extension, for AsnConvert.parse. */
export function valueOf(extension: Extension): ArrayBuffer {
  return extension.extnValue.buffer;
}
