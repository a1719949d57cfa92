/**
 * Extension-level rules for every certificate of a client's path (RFC 5280 §4.2):
 *
 * - `duplicate-extension`: "A certificate MUST NOT include more than one instance of a particular extension."
 *   OpenSSL takes the first instance and verifies on; a second copy is how a certificate says two things.
 * - `unknown-critical-extension`: a critical extension outside supported-critical-extensions.ts (the set
 *   OpenSSL processes). OpenSSL already refuses most; this also covers what it accepts but the gateway does not
 *   enforce, and a critical authorityInfoAccess, key identifier or the like (§4.2.1.1, §4.2.1.2, §4.2.2.1: MUST
 *   be non-critical).
 * - `malformed-subject-alt-name`: a subjectAltName that is not a GeneralNames, is empty (§4.2.1.6: "at least one
 *   entry"), or holds a dNSName, rfc822Name or URI that is empty or has a byte outside printable ASCII, or an
 *   iPAddress that is not 4 or 16 octets. OpenSSL verifies such a certificate; the gateway would then read names
 *   from it for rules and headers.
 * - `malformed-authority-info-access`: an authorityInfoAccess that is not an AuthorityInfoAccessSyntax, or empty
 *   (§4.2.2.1, SIZE (1..MAX)).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityInfoAccessSyntax, id_pe_authorityInfoAccess, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { extensionOf, valueOf, type ChainCertificate } from './chain-certificate.ts';
import { violation, type ChainViolation } from './chain-violation.ts';
import { readGeneralNames, type RawGeneralName } from './general-names.ts';
import { SUPPORTED_CRITICAL_EXTENSIONS } from './supported-critical-extensions.ts';

export function extensionsViolation(certificate: ChainCertificate): ChainViolation | undefined {
  const seen = new Set<string>();
  for (const extension of certificate.extensions) {
    if (seen.has(extension.extnID)) {
      return violation('duplicate-extension', `extension ${extension.extnID} appears twice (RFC 5280 §4.2)`);
    }
    seen.add(extension.extnID);
    if (extension.critical && !SUPPORTED_CRITICAL_EXTENSIONS.has(extension.extnID)) {
      return violation('unknown-critical-extension', `critical extension ${extension.extnID} is not processed`);
    }
  }
  const san = extensionOf(certificate, id_ce_subjectAltName);
  if (san !== undefined) {
    const problem = subjectAltNameProblem(valueOf(san));
    if (problem !== undefined) return violation('malformed-subject-alt-name', problem);
  }
  const aia = extensionOf(certificate, id_pe_authorityInfoAccess);
  if (aia !== undefined && !isAuthorityInfoAccess(valueOf(aia))) {
    return violation(
      'malformed-authority-info-access',
      'authorityInfoAccess is not a non-empty AccessDescription list',
    );
  }
  return undefined;
}

function subjectAltNameProblem(value: ArrayBuffer): string | undefined {
  let names: RawGeneralName[];
  try {
    names = readGeneralNames(value);
  } catch {
    return 'subjectAltName is not a GeneralNames sequence';
  }
  if (names.length === 0) return 'subjectAltName with no entry (RFC 5280 §4.2.1.6)';
  for (const name of names) {
    for (const [form, text] of [
      ['dNSName', name.dNSName],
      ['rfc822Name', name.rfc822Name],
      ['uniformResourceIdentifier', name.uniformResourceIdentifier],
    ] as const) {
      if (text !== undefined && !isPrintableAscii(text)) {
        return `a ${form} that is empty or not printable ASCII`;
      }
    }
    if (name.iPAddress !== undefined && name.iPAddress.byteLength !== 4 && name.iPAddress.byteLength !== 16) {
      return `an iPAddress of ${name.iPAddress.byteLength} octets (4 or 16)`;
    }
  }
  return undefined;
}

/** Non-empty, every character from space to tilde (IA5String decodes one character per byte). */
export function isPrintableAscii(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function isAuthorityInfoAccess(value: ArrayBuffer): boolean {
  try {
    return AsnConvert.parse(value, AuthorityInfoAccessSyntax).length > 0;
  } catch {
    return false;
  }
}
