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
import { loadCaSigner, type CaKeyPair, type CaSigner } from './ca-signer.ts';
import { toPem } from './pem.ts';
import { childRanges, contentsOf, tlv } from './der-writer.ts';
import { RevokedEntries, type CrlEntry } from './crl-entries.ts';

export type { CrlEntry } from './crl-entries.ts';

export interface GenerateCrlOptions {
  readonly ca: CaKeyPair;
  /**
   * `ca` already loaded for cRLSign (loadCaSigner(ca, ['cRLSign'])), kept by a caller that signs many CRLs of the
   * CA: opening and checking the key is a large part of a short CRL's cost.
   */
  readonly signer?: CaSigner;
  /** Increases with every CRL the CA issues (RFC 5280 §5.2.3); 0 to 2^159 - 1. */
  readonly crlNumber: number | bigint;
  /** The entries, or their encoding kept from an earlier CRL of the CA (crl-entries.ts), used as it is. */
  readonly entries: Iterable<CrlEntry> | RevokedEntries;
  readonly thisUpdate: Date;
  /** When the next CRL will be issued at the latest; after thisUpdate. */
  readonly nextUpdate: Date;
  /**
   * The caller vouches that no two entries are the same integer (they are the keys of a map in serialForLookup
   * form): the check for a serial listed twice, a third of the encoding time of 100,000 entries, is skipped.
   * Ignored for RevokedEntries (they were checked, or vouched for, when encoded).
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
  const signer = options.signer ?? loadCaSigner(options.ca, ['cRLSign']);
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
  const revoked =
    options.entries instanceof RevokedEntries
      ? options.entries
      : new RevokedEntries(options.entries, options.distinctSerials === true);
  const tbsDer = withRevokedCertificates(new Uint8Array(AsnConvert.serialize(tbs)), revoked);
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
 * nextUpdate, before the [0] crlExtensions. The entries are encoded by hand (crl-entries.ts); the list is absent
 * when empty (§5.1.2.6).
 */
function withRevokedCertificates(tbsDer: Uint8Array, revoked: RevokedEntries): Uint8Array {
  if (revoked.count === 0) return tbsDer;
  const list = tlv(0x30, revoked.contents());
  const contents = contentsOf(tbsDer);
  const extensionsAt = childRanges(contents).find(([start]) => contents[start] === 0xa0)?.[0] ?? contents.length;
  return tlv(0x30, Buffer.concat([contents.subarray(0, extensionsAt), list, contents.subarray(extensionsAt)]));
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
