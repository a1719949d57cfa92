/**
 * acceptCrl: whether a CRL may become the one in force for a CA the operator uploaded (RFC 5280 §5,
 * §6.3.3), and what it says. Refused, with nothing changed:
 *
 *   not one parseable CRL                                   GW_ERR_CRL_INVALID
 *   a delta CRL, or one that covers only part of the CA's certificates (an issuingDistributionPoint
 *     with onlySomeReasons, onlyContainsCACerts, onlyContainsAttributeCerts or indirectCRL): a
 *     certificate missing from it would pass as good                        GW_ERR_CRL_INVALID
 *   no cRLNumber, a critical one, or an unknown critical extension (§5.2: "MUST NOT use that CRL"),
 *     in the CRL or in one of its entries                                  GW_ERR_CRL_INVALID
 *   no nextUpdate (it could never be known to be current), thisUpdate in the future
 *                                                                          GW_ERR_CRL_INVALID
 *   not issued and signed by a CA of the bundle, or by one whose keyUsage lacks cRLSign
 *                                                                          GW_ERR_CRL_WRONG_SIGNER
 *   nextUpdate passed                                                     GW_ERR_CRL_STALE
 *   a cRLNumber lower than the CRL in force for that issuer (§5.2.3: numbers only increase, so a
 *     lower one is a replay of an older list)                                GW_ERR_CRL_OUTDATED
 *
 * Pure apart from the signature check (webcrypto, hence async). Serials come out in the data
 * plane's form (serial.ts), keyed by the issuing CA's Node-format fingerprint (`AB:CD:…`).
 */
import 'reflect-metadata';
import { X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  AsnConvert,
  AsnIntegerBigIntConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
} from '@peculiar/asn1-schema';
import {
  IssuingDistributionPoint,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_deltaCRLIndicator,
  id_ce_freshestCRL,
  id_ce_invalidityDate,
  id_ce_issuerAltName,
  id_ce_issuingDistributionPoint,
  id_ce_cRLReasons,
} from '@peculiar/asn1-x509';
import { GW_ERR_CRL_INVALID, GW_ERR_CRL_OUTDATED, GW_ERR_CRL_STALE, GW_ERR_CRL_WRONG_SIGNER } from '../errors/index.ts';
import { serialForLookup } from './serial.ts';

/** A CRL issued a little ahead of our clock is still accepted (clocks drift). */
export const CRL_CLOCK_SKEW_MS = 5 * 60_000;
const MAX_CRL_NUMBER = (1n << 159n) - 1n; // 20 octets, positive (§5.2.3)

const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_issuingDistributionPoint,
  id_ce_issuerAltName,
  id_ce_freshestCRL,
]);
const KNOWN_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([id_ce_cRLReasons, id_ce_invalidityDate]);
/** CRLReason removeFromCRL (§5.3.1): only meaningful in a delta CRL, so not a revocation. */
const REMOVE_FROM_CRL: number = x509.X509CrlReason.removeFromCRL;

export interface AcceptedCrl {
  /** Node-format SHA-256 fingerprint (`AB:CD:…`) of the CA certificate that issued the CRL. */
  readonly issuerFingerprint256: string;
  /** That CA's subject, as Node prints it, for views and logs. */
  readonly issuerSubject: string;
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Revoked serials, normalised (uppercase hex, no leading zeros). */
  readonly revokedSerials: readonly string[];
}

export interface AcceptCrlInput {
  readonly der: Uint8Array;
  /** The CA certificates of the uploaded bundle: the CRL must be issued by one of them. */
  readonly cas: readonly NodeCertificate[];
  /** The cRLNumber of the CRL in force for an issuer (by fingerprint), if there is one. */
  readonly inForce: (issuerFingerprint256: string) => bigint | undefined;
  readonly now: Date;
}

export async function acceptCrl(input: AcceptCrlInput): Promise<AcceptedCrl> {
  const crl = parse(input.der);
  const crlNumber = checkExtensions(crl);
  const nextUpdate = crl.nextUpdate;
  if (nextUpdate === undefined) throw GW_ERR_CRL_INVALID.create('no nextUpdate: it could never be known to be current');
  const thisUpdate = crl.thisUpdate;
  const now = input.now.getTime();
  if (thisUpdate.getTime() > now + CRL_CLOCK_SKEW_MS) {
    throw GW_ERR_CRL_INVALID.create(`thisUpdate ${thisUpdate.toISOString()} is in the future`);
  }
  if (nextUpdate.getTime() <= thisUpdate.getTime())
    throw GW_ERR_CRL_INVALID.create('nextUpdate is not after thisUpdate');
  const issuer = await signingCa(crl, input.cas);
  if (nextUpdate.getTime() <= now) {
    throw GW_ERR_CRL_STALE.create(`its nextUpdate ${nextUpdate.toISOString()} has passed; fetch or issue a fresh one`);
  }
  const current = input.inForce(issuer.fingerprint256);
  if (current !== undefined && crlNumber < current) {
    throw GW_ERR_CRL_OUTDATED.create(`CRL number ${crlNumber}, the one in force has ${current}`);
  }
  return {
    issuerFingerprint256: issuer.fingerprint256,
    issuerSubject: issuer.subject.replaceAll('\n', ', '),
    crlNumber,
    thisUpdate,
    nextUpdate,
    revokedSerials: revokedSerials(crl),
  };
}

function parse(der: Uint8Array): x509.X509Crl {
  try {
    // asn1js stops at 10,000 nodes by default: a CRL of a few thousand entries. A node takes at
    // least two bytes, so half the input's length bounds the count (the input is bounded: crl-input.ts).
    return new x509.X509Crl(der, { berOptions: { maxNodes: Math.max(10_000, Math.ceil(der.byteLength / 2)) } });
  } catch {
    throw GW_ERR_CRL_INVALID.create('not a parseable X.509 CRL');
  }
}

/** Checks the CRL's extensions; returns its cRLNumber. */
function checkExtensions(crl: x509.X509Crl): bigint {
  const seen = new Set<string>();
  let crlNumber: bigint | undefined;
  for (const extension of crl.extensions) {
    if (seen.has(extension.type)) throw GW_ERR_CRL_INVALID.create(`extension ${extension.type} appears twice`);
    seen.add(extension.type);
    if (extension.type === id_ce_deltaCRLIndicator) {
      throw GW_ERR_CRL_INVALID.create('a delta CRL; give the complete CRL it is based on');
    }
    if (!KNOWN_CRL_EXTENSIONS.has(extension.type)) {
      if (extension.critical) throw GW_ERR_CRL_INVALID.create(`unknown critical extension ${extension.type}`);
      continue;
    }
    if (extension.type === id_ce_cRLNumber) {
      if (extension.critical)
        throw GW_ERR_CRL_INVALID.create('its cRLNumber is critical (RFC 5280 §5.2.3: MUST NOT be)');
      crlNumber = readCrlNumber(extension.value);
    } else if (extension.type === id_ce_issuingDistributionPoint) {
      checkScope(extension.value);
    }
  }
  if (crlNumber === undefined) throw GW_ERR_CRL_INVALID.create('no cRLNumber (RFC 5280 §5.2.3: MUST be present)');
  return crlNumber;
}

function readCrlNumber(value: ArrayBuffer): bigint {
  let number: bigint;
  try {
    number = AsnConvert.parse(value, CrlNumberValue).value;
  } catch {
    throw GW_ERR_CRL_INVALID.create('its cRLNumber is not an INTEGER');
  }
  if (number < 0n || number > MAX_CRL_NUMBER) throw GW_ERR_CRL_INVALID.create('its cRLNumber is out of range');
  return number;
}

/** A CRL limited to some certificates or reasons (§5.2.5) cannot say that the others are good. */
function checkScope(value: ArrayBuffer): void {
  let scope: IssuingDistributionPoint;
  try {
    scope = AsnConvert.parse(value, IssuingDistributionPoint);
  } catch {
    throw GW_ERR_CRL_INVALID.create('its issuingDistributionPoint cannot be parsed');
  }
  const partial = [
    scope.onlyContainsCACerts && 'onlyContainsCACerts',
    scope.onlyContainsAttributeCerts && 'onlyContainsAttributeCerts',
    scope.onlySomeReasons !== undefined && 'onlySomeReasons',
    scope.indirectCRL && 'indirectCRL',
  ].filter((flag) => typeof flag === 'string');
  if (partial.length > 0) {
    throw GW_ERR_CRL_INVALID.create(`a partial CRL (${partial.join(', ')}); give a complete CRL of the CA`);
  }
}

/** The CA of the bundle whose subject is the CRL's issuer and whose key verifies its signature. */
async function signingCa(crl: x509.X509Crl, cas: readonly NodeCertificate[]): Promise<NodeCertificate> {
  const issuerName = Buffer.from(crl.issuerName.toArrayBuffer());
  let namedButUnsigned = false;
  for (const ca of cas) {
    const parsed = new x509.X509Certificate(ca.raw);
    if (!Buffer.from(parsed.subjectName.toArrayBuffer()).equals(issuerName)) continue;
    // An algorithm the CA's key cannot verify with throws: then it is not signed by it either.
    const verified = await crl.verify({ publicKey: parsed }).catch(() => false);
    if (!verified) {
      namedButUnsigned = true;
      continue;
    }
    const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
    if (keyUsage !== null && (keyUsage.usages & x509.KeyUsageFlags.cRLSign) === 0) {
      throw GW_ERR_CRL_WRONG_SIGNER.create('the CA certificate does not allow cRLSign in its keyUsage');
    }
    return ca;
  }
  if (namedButUnsigned) throw GW_ERR_CRL_WRONG_SIGNER.create("its signature does not verify with the CA's key");
  throw GW_ERR_CRL_WRONG_SIGNER.create(`it is issued by "${crl.issuer.slice(0, 200)}", not by a CA of this bundle`);
}

function revokedSerials(crl: x509.X509Crl): string[] {
  const serials: string[] = [];
  for (const entry of crl.entries) {
    for (const extension of entry.extensions) {
      if (extension.critical && !KNOWN_ENTRY_EXTENSIONS.has(extension.type)) {
        // certificateIssuer (§5.3.3) is critical: an indirect CRL, refused above when it says so.
        throw GW_ERR_CRL_INVALID.create(`an entry has the unknown critical extension ${extension.type}`);
      }
    }
    if ((entry.reason as number | undefined) === REMOVE_FROM_CRL) continue;
    serials.push(serialForLookup(entry.serialNumber));
  }
  return serials;
}

/** CRLNumber ::= INTEGER (0..MAX), read as a bigint (asn1-x509's CRLNumber holds a JS number). */
class CrlNumberValue {
  value: bigint;
  constructor(value = 0n) {
    this.value = value;
  }
}
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerBigIntConverter })(CrlNumberValue.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(CrlNumberValue);
