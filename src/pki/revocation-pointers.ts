/**
 * revocationPointers: where a certificate says its revocation status is published — the URIs of
 * its cRLDistributionPoints (RFC 5280 §4.2.1.13, full names only) and the OCSP responders of its
 * authorityInfoAccess (§4.2.2.1, RFC 6960 §3.1). Only `http:` and `https:` URIs are returned:
 * LDAP and `file:` pointers are never fetched (docs/adr/0014). Pure; never throws (a certificate
 * whose extensions cannot be read points nowhere).
 *
 * The pointers are what the CA wrote and signed; callers trust them only in a certificate whose
 * signature verified, and fetch them only through the outbound guard (control/revocation/outbound-http.ts).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  Certificate,
  CRLDistributionPoints,
  id_ad_ocsp,
  id_ce_cRLDistributionPoints,
  id_pe_authorityInfoAccess,
  type Extension,
  type GeneralName,
} from '@peculiar/asn1-x509';

/** More pointers than this in one certificate are ignored (a CA needs one or two). */
export const MAX_POINTERS = 4;
/** Longer URIs are ignored. */
export const MAX_POINTER_LENGTH = 2048;

export interface RevocationPointers {
  readonly crlUrls: readonly string[];
  readonly ocspUrls: readonly string[];
}

const NONE: RevocationPointers = Object.freeze({ crlUrls: [], ocspUrls: [] });

export function revocationPointers(certificateDer: Uint8Array): RevocationPointers {
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(certificateDer, Certificate);
  } catch {
    return NONE;
  }
  const extensions: readonly Extension[] = certificate.tbsCertificate.extensions ?? [];
  const crlUrls: string[] = [];
  const ocspUrls: string[] = [];
  for (const extension of extensions) {
    try {
      if (extension.extnID === id_ce_cRLDistributionPoints) {
        const points = AsnConvert.parse(extension.extnValue, CRLDistributionPoints);
        // A point with cRLIssuer names an indirect CRL, or one with reasons covers part of them: skipped.
        for (const point of points) {
          if (point.cRLIssuer !== undefined || point.reasons !== undefined) continue;
          for (const name of point.distributionPoint?.fullName ?? []) add(crlUrls, name);
        }
      } else if (extension.extnID === id_pe_authorityInfoAccess) {
        for (const access of AsnConvert.parse(extension.extnValue, AuthorityInfoAccessSyntax)) {
          if (access.accessMethod === id_ad_ocsp) add(ocspUrls, access.accessLocation);
        }
      }
    } catch {
      // An extension that does not parse points nowhere.
    }
  }
  return { crlUrls, ocspUrls };
}

function add(urls: string[], name: GeneralName): void {
  const uri = name.uniformResourceIdentifier;
  if (uri === undefined || urls.length >= MAX_POINTERS || uri.length > MAX_POINTER_LENGTH) return;
  if (!isFetchableUrl(uri) || urls.includes(uri)) return;
  urls.push(uri);
}

/** An absolute http(s) URL without credentials: the only kind of pointer ever fetched. */
export function isFetchableUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
}
