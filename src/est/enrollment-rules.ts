/**
 * What an enrollment profile allows, applied to a checked CSR (pki/csr.ts has verified its signature
 * and refused weak keys already): the key type, the common name the device chose, the subject the
 * profile fixes, the DNS names it writes; and, for a re-enrollment, that the CSR names exactly what
 * the current certificate names (RFC 7030 §4.2.2).
 */
import { GW_ERR_EST_CSR_REFUSED } from '../errors/index.ts';
import type { CsrKeyAlgorithm, CsrSubject } from '../pki/csr.ts';
import type { EstKeyType, EstProfileSettings } from '../model/est-records.ts';

export interface EnrollmentNames {
  readonly subject: CsrSubject;
  readonly dnsNames: readonly string[];
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$/;

export function estKeyTypeOf(key: CsrKeyAlgorithm): EstKeyType {
  if (key.kind === 'rsa') return 'RSA';
  if (key.kind === 'ed25519') return 'Ed25519';
  return key.curve;
}

/** The whole-string pattern of a profile's commonNamePattern (checked to compile when the profile is saved). */
export function commonNameRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** The subject and DNS names of the certificate a profile issues for this CSR; throws when it refuses. */
export function namesForEnrollment(
  subject: CsrSubject,
  key: CsrKeyAlgorithm,
  settings: EstProfileSettings,
): EnrollmentNames {
  const keyType = estKeyTypeOf(key);
  if (!settings.keyTypes.includes(keyType)) {
    throw GW_ERR_EST_CSR_REFUSED.create(`a ${keyType} key is not allowed (allowed: ${settings.keyTypes.join(', ')})`);
  }
  const commonName = subject.commonName;
  if (commonName === '') throw GW_ERR_EST_CSR_REFUSED.create('the subject has no common name (CN)');
  if (!commonNameRegExp(settings.commonNamePattern).test(commonName)) {
    throw GW_ERR_EST_CSR_REFUSED.create(
      `the common name does not match the profile's pattern ${settings.commonNamePattern}`,
    );
  }
  const fixed = settings.subject;
  const named: CsrSubject = {
    commonName,
    country: fixed.country ?? subject.country,
    state: fixed.state ?? subject.state,
    locality: fixed.locality ?? subject.locality,
    organization: fixed.organization ?? subject.organization,
    organizationalUnit: fixed.organizationalUnit ?? subject.organizationalUnit,
  };
  const dnsNames = settings.dnsNameTemplates.map((template) => {
    const name = template.replaceAll('{cn}', commonName.toLowerCase());
    if (!DNS_NAME.test(name)) {
      throw GW_ERR_EST_CSR_REFUSED.create(`the common name does not make a DNS name from ${template}`);
    }
    return name;
  });
  return { subject: named, dnsNames };
}

const SUBJECT_FIELDS = ['commonName', 'country', 'state', 'locality', 'organization', 'organizationalUnit'] as const;

/**
 * RFC 7030 §4.2.2: the Subject and SubjectAltName of a re-enrollment's CSR must be identical to the
 * current certificate's. A CSR that requests no subjectAltName at all is taken to ask for the ones the
 * certificate has (the names come from the profile, not from the device); one that requests any must
 * request exactly those.
 */
export function checkReenrollmentNames(
  csrSubject: CsrSubject,
  csrSubjectAltNames: readonly string[] | undefined,
  current: { subject: CsrSubject; dnsNames: readonly string[] },
): void {
  for (const field of SUBJECT_FIELDS) {
    if (csrSubject[field] !== current.subject[field]) {
      throw GW_ERR_EST_CSR_REFUSED.create(
        `re-enrollment must request the current certificate's subject (RFC 7030 §4.2.2): ${field} differs`,
      );
    }
  }
  if (csrSubjectAltNames === undefined) return;
  const requested = [...csrSubjectAltNames].sort();
  const held = current.dnsNames.map((name) => `dns:${name.toLowerCase()}`).sort();
  if (requested.length !== held.length || requested.some((name, index) => name !== held[index])) {
    throw GW_ERR_EST_CSR_REFUSED.create(
      "re-enrollment must request the current certificate's subjectAltNames (RFC 7030 §4.2.2), or none",
    );
  }
}
