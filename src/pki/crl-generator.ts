/**
 * generateCrl: the managed CA's certificate revocation list, an X.509 v2 CRL (RFC 5280 §5) signed by the CA.
 *
 * - version v2, because it carries extensions (§5.1.2.1);
 * - crlExtensions: authorityKeyIdentifier = the CA's SKI (§5.2.1, MUST) and cRLNumber (§5.2.3, MUST,
 *   non-critical, a monotonically increasing INTEGER of at most 20 octets: the caller keeps the counter);
 * - revokedCertificates: serial and revocationDate per entry, absent when nothing is revoked (§5.1.2.6);
 * - thisUpdate / nextUpdate as given, whole seconds (UTCTime through 2049, GeneralizedTime after: §5.1.2.4).
 * The issuer must allow cRLSign when it has a keyUsage extension (§4.2.1.3).
 */
import {
  AsnConvert,
  AsnIntegerBigIntConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  Extension,
  KeyIdentifier,
  TBSCertList,
  Time,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
} from '@peculiar/asn1-x509';
import { loadCaSigner, type CaKeyPair } from './ca-signer.ts';
import { writeSerialBytes } from './serial.ts';
import { toPem } from './pem.ts';
import { childRanges, contentsOf, derTime, tlv } from './der-writer.ts';

export interface CrlEntry {
  /** Serial of the revoked certificate, hex (any case, colons allowed). */
  readonly serialHex: string;
  /** A Date, or ms since the epoch (a fleet CA's 100,000 entries need no Date each). */
  readonly revokedAt: Date | number;
}

export interface GenerateCrlOptions {
  readonly ca: CaKeyPair;
  /** Increases with every CRL the CA issues (RFC 5280 §5.2.3); 0 to 2^159 - 1. */
  readonly crlNumber: number | bigint;
  readonly entries: Iterable<CrlEntry>;
  readonly thisUpdate: Date;
  /** When the next CRL will be issued at the latest; after thisUpdate. */
  readonly nextUpdate: Date;
  /**
   * The caller vouches that no two entries are the same integer (they are the keys of a map in serialForLookup
   * form): the check for a serial listed twice, a third of the encoding time of 100,000 entries, is skipped.
   */
  readonly distinctSerials?: boolean;
}

export interface GeneratedCrl {
  readonly der: Uint8Array;
  /** PEM, label X509 CRL (RFC 7468 §6): made when asked (the gateway serves the DER; a 5 MB PEM costs ~0.3 s). */
  readonly pem: string;
}

const MAX_CRL_NUMBER = (1n << 159n) - 1n; // 20 octets, positive

export function generateCrl(options: GenerateCrlOptions): GeneratedCrl {
  const signer = loadCaSigner(options.ca, ['cRLSign']);
  const crlNumber = BigInt(options.crlNumber);
  if (crlNumber < 0n || crlNumber > MAX_CRL_NUMBER) throw new Error('crlNumber must be from 0 to 2^159 - 1');
  if (!(options.nextUpdate.getTime() > options.thisUpdate.getTime())) {
    throw new Error('nextUpdate must be after thisUpdate');
  }
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: signer.signatureAlgorithm,
    issuer: signer.subject,
    thisUpdate: new Time(options.thisUpdate),
    nextUpdate: new Time(options.nextUpdate),
    crlExtensions: [
      extension(
        id_ce_authorityKeyIdentifier,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(signer.keyId) }),
      ),
      extension(id_ce_cRLNumber, new CrlNumber(crlNumber)),
    ],
  });
  const tbsDer = withRevokedCertificates(
    new Uint8Array(AsnConvert.serialize(tbs)),
    options.entries,
    options.distinctSerials === true,
  );
  const signature = signer.sign(tbsDer);
  // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue } (RFC 5280 §5.1.1).
  const der = new Uint8Array(
    tlv(
      0x30,
      Buffer.concat([
        tbsDer,
        new Uint8Array(AsnConvert.serialize(signer.signatureAlgorithm)),
        tlv(0x03, Buffer.concat([Buffer.from([0]), new Uint8Array(signature)])), // BIT STRING, no unused bits
      ]),
    ),
  );
  return {
    der,
    get pem() {
      return toPem(der, 'X509 CRL');
    },
  };
}

/**
 * The TBSCertList encoded without revokedCertificates, with them inserted where RFC 5280 §5.1 puts them: after
 * nextUpdate, before the [0] crlExtensions. Written by hand (der-writer.ts): one SEQUENCE { userCertificate
 * INTEGER, revocationDate Time } per entry, the list absent when empty (§5.1.2.6).
 */
function withRevokedCertificates(tbsDer: Uint8Array, entries: Iterable<CrlEntry>, distinct: boolean): Uint8Array {
  const list = revokedCertificates(entries, distinct);
  if (list === undefined) return tbsDer;
  const contents = contentsOf(tbsDer);
  const extensionsAt = childRanges(contents).find(([start]) => contents[start] === 0xa0)?.[0] ?? contents.length;
  return tlv(0x30, Buffer.concat([contents.subarray(0, extensionsAt), list, contents.subarray(extensionsAt)]));
}

/** The longest entry: SEQUENCE header 2, INTEGER header 2 + 21 octets, GeneralizedTime 2 + 15. */
const MAX_ENTRY_BYTES = 2 + 2 + 21 + 2 + 15;

/**
 * Every entry written straight into one buffer (each is shorter than 128 octets: short-form lengths): 100,000
 * entries as a TLV Buffer each, then concatenated, cost hundreds of milliseconds; this costs tens.
 */
function revokedCertificates(entries: Iterable<CrlEntry>, distinct: boolean): Buffer | undefined {
  const seen = distinct ? undefined : new Set<string>();
  const chunks: Buffer[] = [];
  let chunk = Buffer.allocUnsafe(0);
  let offset = 0;
  let total = 0;
  for (const entry of entries) {
    const time = derTime(entry.revokedAt);
    if (offset + MAX_ENTRY_BYTES > chunk.length) {
      if (offset > 0) chunks.push(chunk.subarray(0, offset));
      chunk = Buffer.allocUnsafe(MAX_ENTRY_BYTES * 4096);
      offset = 0;
    }
    const serialLength = writeSerialBytes(entry.serialHex, chunk, offset + 4);
    if (seen !== undefined) {
      // Equal octets are equal serials, however they were written (case, leading zeros, colons).
      const key = chunk.toString('latin1', offset + 4, offset + 4 + serialLength);
      if (seen.has(key)) throw new Error(`serial ${entry.serialHex} is listed twice`);
      seen.add(key);
    }
    chunk[offset] = 0x30;
    chunk[offset + 1] = 2 + serialLength + time.length;
    chunk[offset + 2] = 0x02;
    chunk[offset + 3] = serialLength;
    chunk.set(time, offset + 4 + serialLength);
    const length = 4 + serialLength + time.length;
    offset += length;
    total += length;
  }
  if (total === 0) return undefined;
  if (offset > 0) chunks.push(chunk.subarray(0, offset));
  return tlv(0x30, Buffer.concat(chunks, total));
}

function extension(extnID: string, value: unknown): Extension {
  return new Extension({ extnID, critical: false, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** CRLNumber ::= INTEGER (0..MAX), as a bigint (asn1-x509's CRLNumber holds a JS number). */
class CrlNumber {
  value: bigint;
  constructor(value = 0n) {
    this.value = value;
  }
}
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerBigIntConverter })(CrlNumber.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(CrlNumber);
