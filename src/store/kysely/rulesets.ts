/**
 * Phase rulesets: one row per (zone, phase) holding the whole ruleset as JSON (the Rulesets API
 * always reads and replaces rules together), and every version ever saved for the versions endpoints.
 */
import type { HexId, RulesetRecord } from '../../model/records.ts';
import type { Db } from './schema.ts';
import { atomically } from './atomically.ts';
import { insertUnique } from './conflicts.ts';
import { StoreConflictError } from '../ports.ts';

const CHANGED_MEANWHILE = 'The ruleset changed meanwhile; read it again and retry';

function parseDocument(text: string, column: string): RulesetRecord {
  const value: unknown = JSON.parse(text);
  const candidate = value as Partial<RulesetRecord> | null;
  if (typeof value !== 'object' || candidate === null || !Array.isArray(candidate.rules))
    throw new Error(`Store column ${column} does not hold a ruleset`);
  if (typeof candidate.version !== 'number') throw new Error(`Store column ${column} does not hold a ruleset`);
  return value as RulesetRecord;
}

export async function getRulesetByPhase(db: Db, zoneId: HexId, phase: string): Promise<RulesetRecord | undefined> {
  const row = await db
    .selectFrom('rulesets')
    .select('document')
    .where('zone_id', '=', zoneId)
    .where('phase', '=', phase)
    .executeTakeFirst();
  return row === undefined ? undefined : parseDocument(row.document, 'rulesets.document');
}

export async function getRuleset(db: Db, zoneId: HexId, id: HexId): Promise<RulesetRecord | undefined> {
  const row = await db
    .selectFrom('rulesets')
    .select('document')
    .where('zone_id', '=', zoneId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : parseDocument(row.document, 'rulesets.document');
}

export async function listRulesets(db: Db, zoneId: HexId): Promise<RulesetRecord[]> {
  const rows = await db.selectFrom('rulesets').select('document').where('zone_id', '=', zoneId).execute();
  return rows.map((row) => parseDocument(row.document, 'rulesets.document')).sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function listAllRulesets(db: Db): Promise<RulesetRecord[]> {
  const rows = await db.selectFrom('rulesets').select('document').execute();
  return rows.map((row) => parseDocument(row.document, 'rulesets.document'));
}

/**
 * Writes `record` as the current ruleset and records its version, atomically. Refuses (conflict)
 * when `expectedVersion` is not the stored version (another writer got there first), so two
 * concurrent PUTs never both "win" with the same version number.
 */
export async function saveRuleset(db: Db, record: RulesetRecord, expectedVersion: number | null): Promise<void> {
  const document = JSON.stringify(record);
  await atomically(db, async (trx) => {
    const current = await trx.selectFrom('rulesets').select('document').where('id', '=', record.id).executeTakeFirst();
    const stored = current === undefined ? null : parseDocument(current.document, 'rulesets.document').version;
    if (stored !== expectedVersion) throw new StoreConflictError(CHANGED_MEANWHILE);
    if (current === undefined) {
      await insertUnique(
        trx,
        'rulesets',
        { id: record.id, zone_id: record.zoneId, phase: record.phase, document },
        'The zone already has an entry point for this phase',
      );
    } else {
      await trx.updateTable('rulesets').set({ document }).where('id', '=', record.id).execute();
    }
    await insertUnique(
      trx,
      'ruleset_versions',
      { ruleset_id: record.id, version: record.version, document },
      CHANGED_MEANWHILE,
    );
  });
}

export async function listRulesetVersions(db: Db, rulesetId: HexId): Promise<RulesetRecord[]> {
  const rows = await db
    .selectFrom('ruleset_versions')
    .select('document')
    .where('ruleset_id', '=', rulesetId)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((row) => parseDocument(row.document, 'ruleset_versions.document'));
}

export async function getRulesetVersion(db: Db, rulesetId: HexId, version: number): Promise<RulesetRecord | undefined> {
  const row = await db
    .selectFrom('ruleset_versions')
    .select('document')
    .where('ruleset_id', '=', rulesetId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row === undefined ? undefined : parseDocument(row.document, 'ruleset_versions.document');
}

/** Deletes the ruleset and its history. */
export async function deleteRuleset(db: Db, zoneId: HexId, id: HexId): Promise<void> {
  await atomically(db, async (trx) => {
    const owned = await trx
      .selectFrom('rulesets')
      .select('id')
      .where('zone_id', '=', zoneId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (owned === undefined) return;
    await trx.deleteFrom('ruleset_versions').where('ruleset_id', '=', id).execute();
    await trx.deleteFrom('rulesets').where('id', '=', id).execute();
  });
}
