/** What the developer portal needs from storage (migration 0012-developer-portal). */
import type { HexId } from '../../model/records.ts';
import type {
  AccessRequestStatus,
  PortalAccessRequestRecord,
  PortalAppRecord,
  PortalDeveloperRecord,
  PortalLinkRecord,
  PortalProductRecord,
} from '../../model/portal-records.ts';

export interface PortalAccessRequestFilter {
  developerId?: HexId;
  appId?: HexId;
  productId?: HexId;
  statuses?: readonly AccessRequestStatus[];
}

export interface PortalStore {
  /** Inserts or replaces (by id). */
  putPortalProduct(record: PortalProductRecord): Promise<void>;
  getPortalProduct(id: HexId): Promise<PortalProductRecord | undefined>;
  /** Oldest first. */
  listPortalProducts(): Promise<PortalProductRecord[]>;
  deletePortalProduct(id: HexId): Promise<void>;

  /** Throws StoreConflictError when the email is taken. */
  createPortalDeveloper(record: PortalDeveloperRecord): Promise<void>;
  updatePortalDeveloper(record: PortalDeveloperRecord): Promise<void>;
  getPortalDeveloper(id: HexId): Promise<PortalDeveloperRecord | undefined>;
  getPortalDeveloperByEmail(email: string): Promise<PortalDeveloperRecord | undefined>;
  /** Oldest first. */
  listPortalDevelopers(): Promise<PortalDeveloperRecord[]>;

  createPortalLink(record: PortalLinkRecord): Promise<void>;
  getPortalLinkBySecretHash(secretHash: string): Promise<PortalLinkRecord | undefined>;
  /** Marks the link used unless it already was; true when this call used it (one use, even when raced). */
  usePortalLink(id: HexId, usedOn: string): Promise<boolean>;

  createPortalApp(record: PortalAppRecord): Promise<void>;
  updatePortalApp(record: PortalAppRecord): Promise<void>;
  /** Only the developer's own: another developer's id is undefined, exactly like an unknown one. */
  getPortalApp(developerId: HexId, id: HexId): Promise<PortalAppRecord | undefined>;
  listPortalApps(developerId: HexId): Promise<PortalAppRecord[]>;
  deletePortalApp(developerId: HexId, id: HexId): Promise<void>;

  /** Inserts or replaces (by id). */
  putPortalAccessRequest(record: PortalAccessRequestRecord): Promise<void>;
  getPortalAccessRequest(id: HexId): Promise<PortalAccessRequestRecord | undefined>;
  /**
   * Holds the request for one decision: only when its status is `from`, or another call's hold is
   * older than `staleBefore` (that call died half-way). True when this call holds it now; two calls
   * racing get one true. The hold ends with the next put (the decision, or the record unchanged).
   */
  claimPortalAccessRequest(
    id: HexId,
    from: AccessRequestStatus,
    claimedOn: string,
    staleBefore: string,
  ): Promise<boolean>;
  /** Oldest first. */
  listPortalAccessRequests(filter: PortalAccessRequestFilter): Promise<PortalAccessRequestRecord[]>;
}
