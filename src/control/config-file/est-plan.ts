/**
 * planEst: a zone's EST enrollment profiles and bootstrap secrets as the configuration file's
 * `est:` declares them (docs/adr/0016). Only for a zone with the `est:` key: the file is then
 * authoritative for the zone's profiles, matched by label (kept when unchanged, updated when
 * changed, created when new, deleted with their secrets and approvals when the file drops them).
 * A profile with `secrets:` has exactly the file's secrets; without the key, its secrets (made
 * through the API or CLI) are left alone.
 *
 * A file's secret gets an id made from the zone, the profile's label and the secret's name: the
 * HTTP Basic user name devices are configured with stays the same across re-applies and when the
 * secret changes. Only its SHA-256 is stored; an unchanged secret (same hash, uses and expiry) is
 * not written again, so a re-apply keeps the uses already spent.
 */
import { createHash } from 'node:crypto';
import type { LoadedZone } from '../../config/load-gateway-config.ts';
import type { LoadedEstProfile, LoadedEstSecret } from '../../config/load-est-secrets.ts';
import { configInvalid, excerpt } from '../../config/yaml-cursor.ts';
import type { EstBootstrapSecretRecord, EstProfileRecord } from '../../model/est-records.ts';
import type { ZoneRecord } from '../../model/records.ts';
import { hashSecret } from '../apis/gateway-key-input.ts';
import { isoSeconds } from '../ids.ts';
import { validateProfileInput, type EstProfileInput } from '../est/est-profile-input.ts';
import { validated, whereOfProblem, type PlanContext, type PlannedWrite } from './plan-parts.ts';

const DEFAULT_SECRET_LIFETIME_MS = 7 * 86_400_000;
const MAX_SECRET_LIFETIME_MS = 365 * 86_400_000;
const MAX_USES = 1_000_000;

export async function planEst(
  zone: LoadedZone,
  shape: ZoneRecord,
  stored: boolean,
  zoneId: () => string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const est = zone.est;
  if (est === undefined) return [];
  const { services, principal } = context;
  const current = stored ? await services.est.listProfiles(principal, shape.id) : [];
  const writes: PlannedWrite[] = [];
  const kept = new Set<string>();
  for (const profile of est.profiles) {
    const valid = validated(
      (reason) => whereOfProblem(profile.whereOf, reason, profile.where),
      () => validateProfileInput(profile.input as EstProfileInput),
    );
    const named = current.filter((candidate) => candidate.label === valid.label);
    if (named.length > 1) {
      throw configInvalid(
        profile.where,
        `${named.length} profiles of zone ${shape.name} have the label ${excerpt(valid.label)}: delete all but one through the admin API`,
      );
    }
    const [record] = named;
    if (record !== undefined) kept.add(record.id);
    const target = `zone ${shape.name}: EST profile ${valid.label === '' ? '(no label)' : valid.label}`;
    let profileId: () => string;
    if (record === undefined) {
      let created = '';
      profileId = () => created;
      writes.push({
        kind: 'est',
        target,
        run: async () => {
          created = (await services.est.createProfile(principal, zoneId(), profile.input)).id;
        },
      });
    } else {
      profileId = () => record.id;
      if (stableJson(record.settings) !== stableJson(valid.settings)) {
        writes.push({
          kind: 'est',
          target,
          run: async () => {
            await services.est.updateProfile(principal, zoneId(), record.id, profile.input);
          },
        });
      }
    }
    writes.push(...(await planSecrets(profile, record, target, zoneId, profileId, context)));
  }
  for (const record of current.filter((candidate) => !kept.has(candidate.id))) {
    writes.push({
      kind: 'est',
      target: `zone ${shape.name}: delete EST profile ${record.label === '' ? '(no label)' : record.label}`,
      run: async () => {
        await services.est.deleteProfile(principal, zoneId(), record.id);
      },
    });
  }
  return writes;
}

async function planSecrets(
  profile: LoadedEstProfile,
  record: EstProfileRecord | undefined,
  target: string,
  zoneId: () => string,
  profileId: () => string,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const declared = profile.secrets;
  if (declared === undefined) return [];
  const { services, principal, now } = context;
  const stored = record === undefined ? [] : await services.est.listSecrets(principal, record.zoneId, record.id);
  const writes: PlannedWrite[] = [];
  const kept = new Set<string>();
  for (const secret of declared.value) {
    const maxUses = checkedMaxUses(secret);
    const expiresOn = checkedExpiry(secret, now);
    const idOf = (): string => secretId(zoneId(), profile.label, secret.name);
    // A stored zone's id is known now: an unchanged secret needs no write.
    const existing = record === undefined ? undefined : stored.find((candidate) => candidate.id === idOf());
    if (existing !== undefined) {
      kept.add(existing.id);
      if (unchanged(existing, secret, maxUses, expiresOn)) continue;
    }
    writes.push({
      kind: 'est',
      target: `${target}: bootstrap secret ${secret.name}`,
      run: async () => {
        if (existing !== undefined) await services.est.deleteSecret(principal, zoneId(), profileId(), existing.id);
        await services.est.createSecret(
          principal,
          zoneId(),
          profileId(),
          { name: secret.name, max_uses: maxUses },
          {
            id: idOf(),
            secret: secret.secret,
            expiresOn: expiresOn ?? isoSeconds(new Date(now.getTime() + DEFAULT_SECRET_LIFETIME_MS)),
          },
        );
      },
    });
  }
  for (const dropped of stored.filter((candidate) => !kept.has(candidate.id))) {
    writes.push({
      kind: 'est',
      target: `${target}: delete bootstrap secret ${dropped.name === '' ? dropped.id : dropped.name}`,
      run: async () => {
        await services.est.deleteSecret(principal, zoneId(), profileId(), dropped.id);
      },
    });
  }
  return writes;
}

/** Same secret, uses and (when the file gives one) expiry: the stored one stays, with its uses. */
function unchanged(
  existing: EstBootstrapSecretRecord,
  secret: LoadedEstSecret,
  maxUses: number,
  expiresOn: string | undefined,
): boolean {
  return (
    existing.secretHash === hashSecret(secret.secret) &&
    existing.maxUses === maxUses &&
    existing.name === secret.name &&
    (expiresOn === undefined || existing.expiresOn === expiresOn)
  );
}

function checkedMaxUses(secret: LoadedEstSecret): number {
  const given = secret.maxUses;
  if (given === undefined) return 1;
  if (!Number.isInteger(given.value) || given.value < 1 || given.value > MAX_USES) {
    throw configInvalid(given.where, `must be a whole number from 1 to ${MAX_USES}`);
  }
  return given.value;
}

function checkedExpiry(secret: LoadedEstSecret, now: Date): string | undefined {
  const given = secret.expiresOn;
  if (given === undefined) return undefined;
  const time = Date.parse(given.value);
  if (Number.isNaN(time)) throw configInvalid(given.where, `${excerpt(given.value)} is not an RFC 3339 time`);
  if (time - now.getTime() > MAX_SECRET_LIFETIME_MS) {
    throw configInvalid(given.where, 'a bootstrap secret lives at most 365 days');
  }
  // A time already past is accepted: the secret is then refused at enrollment, as an expired one is.
  return isoSeconds(new Date(time));
}

/** Stable across applies and secret changes: the id devices use as their HTTP Basic user name. */
export function secretId(zoneId: string, label: string, name: string): string {
  return createHash('sha256').update(`est bootstrap secret\0${zoneId}\0${label}\0${name}`).digest('hex').slice(0, 32);
}

/** JSON with keys sorted, so stored and declared settings compare whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}
