/**
 * The developer portal's records (docs/adr/0017): products the operator publishes, developers with
 * their password hashes, one-time links (invitations and password resets), developers' apps, and
 * access requests, each of which ends, when approved, in a gateway key bound to a certificate.
 */
import type { HexId, Uuid } from './records.ts';

export const APPROVAL_MODES = ['automatic', 'manual'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

/** A product of the catalogue: APIs of one account, the policy its keys get, how requests are approved. */
export interface PortalProductRecord {
  id: HexId;
  accountId: HexId;
  name: string;
  description: string;
  apiIds: HexId[];
  policyId: HexId;
  approvalMode: ApprovalMode;
  /** Validity of the certificates the managed CA issues for this product's requests. */
  validityDays: number;
  /** Unpublished products are hidden from developers; their approved keys keep working. */
  published: boolean;
  createdOn: string;
  modifiedOn: string;
}

export const DEVELOPER_STATUSES = ['pending', 'active', 'disabled'] as const;
export type DeveloperStatus = (typeof DEVELOPER_STATUSES)[number];

export interface PortalDeveloperRecord {
  id: HexId;
  /** Lowercase; unique. */
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash` (password-hash.ts); never leaves the server. */
  passwordHash: string;
  /** Sessions signed in before this are over (a password change or reset ends the others). */
  passwordChangedOn: string;
  status: DeveloperStatus;
  createdOn: string;
  modifiedOn: string;
}

export const PORTAL_LINK_KINDS = ['invite', 'reset'] as const;
export type PortalLinkKind = (typeof PORTAL_LINK_KINDS)[number];

/** A one-time link the operator hands out: only the SHA-256 of its secret is stored. */
export interface PortalLinkRecord {
  id: HexId;
  kind: PortalLinkKind;
  secretHash: string;
  /** invite: the address it was made for ('' = any); reset: the developer's. */
  email: string;
  developerId: HexId | null;
  createdOn: string;
  expiresOn: string;
  usedOn: string | null;
}

export interface PortalAppRecord {
  id: HexId;
  developerId: HexId;
  name: string;
  description: string;
  createdOn: string;
}

export const CREDENTIAL_KINDS = ['browser_key', 'csr', 'certificate'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export const ACCESS_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'revoked'] as const;
export type AccessRequestStatus = (typeof ACCESS_REQUEST_STATUSES)[number];

export interface PortalAccessRequestRecord {
  id: HexId;
  developerId: HexId;
  appId: HexId;
  productId: HexId;
  accountId: HexId;
  credentialKind: CredentialKind;
  /** browser_key and csr: the CSR as sent. */
  csrPem: string | null;
  /** certificate: the pasted one; browser_key and csr: the one the managed CA issued on approval. */
  certificatePem: string | null;
  bindTo: 'leaf' | 'spki';
  status: AccessRequestStatus;
  /** The operator's message with an approval or a rejection. */
  message: string;
  requestedOn: string;
  decidedOn: string | null;
  /** Set on approval: where the certificate was issued (managed CA), and the key bound to it. */
  zoneId: HexId | null;
  clientCertificateId: Uuid | null;
  keyId: HexId | null;
  fingerprintSha256: string | null;
  notAfter: string | null;
  /** A rotation: the approved request this one replaces, and how long the old one keeps working. */
  replacesId: HexId | null;
  graceDays: number;
  /** On a replaced request: when it is revoked (the end of the grace period). */
  revokeAfter: string | null;
}
