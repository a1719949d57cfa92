/** The store port of EST enrollment and client-certificate tags (part of Store; migration 0011). */
import type {
  BulkRevocationFilter,
  BulkRevokedCertificate,
  EstApprovalRecord,
  EstApprovalStatus,
  EstBootstrapSecretRecord,
  EstEnrollmentRecord,
  EstProfileRecord,
} from '../model/est-records.ts';
import type { HexId, Uuid } from '../model/records.ts';

export interface EstStore {
  createEstProfile(record: EstProfileRecord): Promise<void>;
  updateEstProfile(record: EstProfileRecord): Promise<void>;
  getEstProfile(zoneId: HexId, id: Uuid): Promise<EstProfileRecord | undefined>;
  listEstProfiles(zoneId: HexId): Promise<EstProfileRecord[]>;
  deleteEstProfile(zoneId: HexId, id: Uuid): Promise<void>;

  createBootstrapSecret(record: EstBootstrapSecretRecord): Promise<void>;
  getBootstrapSecret(id: HexId): Promise<EstBootstrapSecretRecord | undefined>;
  listBootstrapSecrets(zoneId: HexId, profileId: Uuid): Promise<EstBootstrapSecretRecord[]>;
  deleteBootstrapSecret(zoneId: HexId, id: HexId): Promise<void>;
  /**
   * Counts one use of the secret, atomically: only while its hash matches, uses are left and it has
   * not expired at `nowIso`. Whether it was counted (false: refuse, nothing may be issued).
   */
  consumeBootstrapSecret(id: HexId, secretHash: string, nowIso: string): Promise<boolean>;

  createEstEnrollment(record: EstEnrollmentRecord): Promise<void>;
  getEstEnrollment(clientCertificateId: Uuid): Promise<EstEnrollmentRecord | undefined>;
  /** Marks `id` replaced by `replacedBy`, revoked after `revokeAfter`; false when it was replaced already. */
  replaceEstEnrollment(id: Uuid, replacedBy: Uuid, revokeAfter: string): Promise<boolean>;
  /** Enrollments whose grace period ended at `nowIso` (revokeAfter ≤ now). */
  listEstEnrollmentsDue(nowIso: string): Promise<EstEnrollmentRecord[]>;
  clearEstRevokeAfter(id: Uuid): Promise<void>;
  listEstEnrollments(zoneId: HexId): Promise<EstEnrollmentRecord[]>;

  createEstApproval(record: EstApprovalRecord): Promise<void>;
  findEstApproval(profileId: Uuid, spkiSha256: string): Promise<EstApprovalRecord | undefined>;
  getEstApproval(zoneId: HexId, id: Uuid): Promise<EstApprovalRecord | undefined>;
  listEstApprovals(zoneId: HexId, status?: EstApprovalStatus): Promise<EstApprovalRecord[]>;
  updateEstApproval(record: EstApprovalRecord): Promise<void>;

  /** Replaces the certificate's tags. */
  setClientCertificateTags(clientCertificateId: Uuid, zoneId: HexId, tags: readonly string[]): Promise<void>;
  /** Tags of each certificate asked about (absent: none). */
  listClientCertificateTags(clientCertificateIds: readonly Uuid[]): Promise<Map<Uuid, string[]>>;
  /** Ids of the zone's certificates with this tag. */
  listClientCertificateIdsByTag(zoneId: HexId, tag: string): Promise<Uuid[]>;
  /**
   * Revokes, in one transaction, the zone's active certificates that meet every criterion given;
   * returns each with its CA, serial and new revocation version, so the caller can update its revocation sets
   * and republish each CA once.
   */
  bulkRevokeClientCertificates(
    zoneId: HexId,
    filter: BulkRevocationFilter,
    revokedAt: string,
  ): Promise<BulkRevokedCertificate[]>;
}
