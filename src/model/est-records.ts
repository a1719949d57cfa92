/** Records of EST enrollment (migration 0011, docs/adr/0016): profiles, bootstrap secrets, enrollments, approvals. */
import type { HexId, Uuid } from './records.ts';

/**
 * Key types a profile may allow: RSA means 2048 bits or more (csr.ts caps it at 4096). Ed25519 is
 * allowed only where a profile lists it (not in the default): the managed CA signs an Ed25519 leaf
 * whatever its own key, but device TLS stacks and upstreams that read the certificate vary.
 */
export const EST_KEY_TYPES = ['P-256', 'P-384', 'RSA', 'Ed25519'] as const;
export type EstKeyType = (typeof EST_KEY_TYPES)[number];
/** What a profile allows when it names no key types. */
export const DEFAULT_EST_KEY_TYPES: readonly EstKeyType[] = ['P-256', 'P-384', 'RSA'];

/** Subject fields the profile fixes; a field left out is taken from the CSR. */
export interface EstSubjectFields {
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  state?: string;
  locality?: string;
}

/** What a profile decides, stored as one JSON document (est_profiles.settings). */
export interface EstProfileSettings {
  /** Hostnames of the zone whose gateway listener serves this profile under /.well-known/est/. */
  hostnames: string[];
  validityDays: number;
  keyTypes: EstKeyType[];
  subject: EstSubjectFields;
  /** A regular expression the CSR's common name must match in full (what the device may choose). */
  commonNamePattern: string;
  /** DNS subjectAltNames of issued certificates; `{cn}` is replaced by the common name. */
  dnsNameTemplates: string[];
  /** The key a new device gets: bound to its certificate, with these policies. Null: no key. */
  keyPolicyIds: HexId[] | null;
  tags: string[];
  /** Enrollment with a bootstrap secret (HTTP Basic) is allowed. */
  bootstrapSecrets: boolean;
  /** Uploaded CAs (mtls certificate ids) whose certificates may enroll: the devices' IDevIDs. */
  bootstrapCaIds: Uuid[];
  /** New enrollments wait for an operator (202 + Retry-After) before anything is issued. */
  manualApproval: boolean;
  /** How long a replaced certificate stays valid after its re-enrollment. */
  renewalGraceSeconds: number;
  /** A device that has not re-enrolled this many days before its certificate expires is overdue. */
  renewBeforeDays: number;
}

export interface EstProfileRecord {
  id: Uuid;
  accountId: HexId;
  zoneId: HexId;
  /** The path label (`/.well-known/est/<label>/`); '' for the profile served without a label. */
  label: string;
  settings: EstProfileSettings;
  createdOn: string;
  modifiedOn: string;
}

export interface EstBootstrapSecretRecord {
  /** The HTTP Basic user name. */
  id: HexId;
  accountId: HexId;
  zoneId: HexId;
  profileId: Uuid;
  name: string;
  /** Hex SHA-256 of the secret; the secret itself is shown once, at creation. */
  secretHash: string;
  maxUses: number;
  uses: number;
  expiresOn: string;
  createdOn: string;
}

export const EST_ENROLLMENT_METHODS = ['bootstrap_secret', 'bootstrap_certificate', 'reenroll'] as const;
export type EstEnrollmentMethod = (typeof EST_ENROLLMENT_METHODS)[number];

/** One per certificate EST issued. */
export interface EstEnrollmentRecord {
  clientCertificateId: Uuid;
  accountId: HexId;
  zoneId: HexId;
  profileId: Uuid;
  method: EstEnrollmentMethod;
  /** The bootstrap secret's id, the bootstrap certificate's SHA-256, or the replaced certificate's id. */
  enrolledBy: string;
  /** The certificate that re-enrollment issued in its place. */
  replacedBy: Uuid | null;
  /** When a replaced certificate is revoked (the profile's grace period); null once done or never. */
  revokeAfter: string | null;
  createdOn: string;
}

export const EST_APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'issued'] as const;
export type EstApprovalStatus = (typeof EST_APPROVAL_STATUSES)[number];

/** An enrollment waiting for (or given) an operator's decision; one per profile and public key. */
export interface EstApprovalRecord {
  id: Uuid;
  accountId: HexId;
  zoneId: HexId;
  profileId: Uuid;
  /** Hex SHA-256 of the CSR's SubjectPublicKeyInfo: a retried request is found by its key (RFC 7030 §4.2.3). */
  spkiSha256: string;
  /** Who asked: `secret:<id>` or `certificate:<sha256>`; only the same requester may collect. */
  requester: string;
  csrPem: string;
  status: EstApprovalStatus;
  clientCertificateId: Uuid | null;
  createdOn: string;
  decidedOn: string | null;
}

/** Criteria of a bulk revocation; every one given must hold (at least one is). */
export interface BulkRevocationFilter {
  tag?: string;
  profileId?: Uuid;
  caId?: Uuid;
  /** ISO-8601: certificates issued strictly before. */
  issuedBefore?: string;
}

/**
 * A certificate a bulk revocation revoked: its CA, its serial and the CA's revocation version its state row now
 * carries (migration 0013), so that the process that revoked can update its revocation set without reading the
 * rows back.
 */
export interface BulkRevokedCertificate {
  id: Uuid;
  caId: Uuid;
  serialNumber: string;
  version: number;
}
