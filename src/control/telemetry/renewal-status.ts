/**
 * Renewal health of EST-enrolled client certificates in the expiry report and webhook
 * (docs/adr/0016): for each reported client certificate a device enrolled, the profile, when the
 * device should have re-enrolled by (notAfter minus the profile's renew_before_days), whether that
 * moment has passed without a renewal, and the certificate that replaced it if it was renewed.
 * One read of the enrollments and profiles per zone that has client certificates in the report.
 */
import type { CertificateExpiry } from '../../model/read-models.ts';
import type { HexId, Uuid } from '../../model/records.ts';
import type { EstStore } from '../../store/est-ports.ts';
import { isoSeconds } from '../ids.ts';

export interface RenewalStatus {
  profileId: Uuid;
  renewBy: string;
  /** The renewal window has passed and the device has not re-enrolled. */
  overdue: boolean;
  replacedBy: Uuid | null;
}

export type RenewalStore = Pick<EstStore, 'listEstEnrollments' | 'listEstProfiles'>;

/** Renewal status by client certificate id, for the client certificates among `entries` that EST enrolled. */
export async function renewalStatuses(
  store: RenewalStore,
  entries: readonly CertificateExpiry[],
  now: Date,
): Promise<Map<Uuid, RenewalStatus>> {
  const statuses = new Map<Uuid, RenewalStatus>();
  const zones = new Set<HexId>();
  for (const entry of entries) if (entry.kind === 'client' && entry.zoneId !== null) zones.add(entry.zoneId);
  if (zones.size === 0) return statuses;
  const expiresOn = new Map(
    entries.filter((entry) => entry.kind === 'client').map((entry) => [entry.id, entry.expiresOn]),
  );
  for (const zoneId of zones) {
    const [enrollments, profiles] = await Promise.all([
      store.listEstEnrollments(zoneId),
      store.listEstProfiles(zoneId),
    ]);
    const renewBeforeDays = new Map(profiles.map((profile) => [profile.id, profile.settings.renewBeforeDays]));
    for (const enrollment of enrollments) {
      const notAfter = expiresOn.get(enrollment.clientCertificateId);
      if (notAfter === undefined) continue;
      const renewBy = new Date(Date.parse(notAfter) - (renewBeforeDays.get(enrollment.profileId) ?? 0) * 86_400_000);
      statuses.set(enrollment.clientCertificateId, {
        profileId: enrollment.profileId,
        renewBy: isoSeconds(renewBy),
        overdue: enrollment.replacedBy === null && renewBy.getTime() <= now.getTime(),
        replacedBy: enrollment.replacedBy,
      });
    }
  }
  return statuses;
}

/** The wire form (snake_case), or null for a certificate EST did not enroll. */
export function renewalWire(status: RenewalStatus | undefined): object | null {
  return status === undefined
    ? null
    : {
        profile_id: status.profileId,
        renew_by: status.renewBy,
        overdue: status.overdue,
        replaced_by: status.replacedBy,
      };
}
