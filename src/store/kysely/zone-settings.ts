/** Per-zone settings (JSON values), written with a portable upsert like the installation settings. */
import type { HexId, ZoneSettingRecord } from '../../model/records.ts';
import type { Db } from './schema.ts';

export async function getZoneSetting(db: Db, zoneId: HexId, name: string): Promise<unknown> {
  const row = await db
    .selectFrom('zone_settings')
    .select('value')
    .where('zone_id', '=', zoneId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
}

export async function putZoneSetting(db: Db, zoneId: HexId, name: string, value: unknown): Promise<void> {
  await db
    .insertInto('zone_settings')
    .values({ zone_id: zoneId, name, value: JSON.stringify(value) })
    .onConflict((conflict) =>
      conflict.columns(['zone_id', 'name']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
    )
    .execute();
}

export async function listAllZoneSettings(db: Db): Promise<ZoneSettingRecord[]> {
  const rows = await db.selectFrom('zone_settings').selectAll().execute();
  return rows.map((row) => ({ zoneId: row.zone_id, name: row.name, value: JSON.parse(row.value) as unknown }));
}
