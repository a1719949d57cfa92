/**
 * The developer portal's queries (migration 0012). Records are stored as JSON in `record`; the
 * other columns are copies of the record's fields that rows are found by, written together.
 * Every app lookup is by (developer, id): a developer's session can only ever name its own rows.
 */
import type { HexId } from '../../model/records.ts';
import type { PortalAccessRequestFilter } from '../portal/portal-ports.ts';
import type {
  AccessRequestStatus,
  PortalAccessRequestRecord,
  PortalAppRecord,
  PortalDeveloperRecord,
  PortalLinkRecord,
  PortalProductRecord,
} from '../../model/portal-records.ts';
import type { Db } from './schema.ts';
import { insertUnique } from './conflicts.ts';

function parse(row: { record: string } | undefined): unknown {
  return row === undefined ? undefined : JSON.parse(row.record);
}

// Products.

export async function putPortalProduct(db: Db, record: PortalProductRecord): Promise<void> {
  const json = JSON.stringify(record);
  await db
    .insertInto('portal_products')
    .values({ id: record.id, account_id: record.accountId, record: json, created_on: record.createdOn })
    .onConflict((conflict) => conflict.column('id').doUpdateSet({ record: json }))
    .execute();
}

export async function getPortalProduct(db: Db, id: HexId): Promise<PortalProductRecord | undefined> {
  return parse(await db.selectFrom('portal_products').select('record').where('id', '=', id).executeTakeFirst()) as
    PortalProductRecord | undefined;
}

export async function listPortalProducts(db: Db): Promise<PortalProductRecord[]> {
  const rows = await db.selectFrom('portal_products').select('record').orderBy('created_on').orderBy('id').execute();
  return rows.map((row) => JSON.parse(row.record) as PortalProductRecord);
}

export async function deletePortalProduct(db: Db, id: HexId): Promise<void> {
  await db.deleteFrom('portal_products').where('id', '=', id).execute();
}

// Developers.

export async function createPortalDeveloper(db: Db, record: PortalDeveloperRecord): Promise<void> {
  await insertUnique(
    db,
    'portal_developers',
    { id: record.id, email: record.email, record: JSON.stringify(record), created_on: record.createdOn },
    'a developer with this email exists',
  );
}

export async function updatePortalDeveloper(db: Db, record: PortalDeveloperRecord): Promise<void> {
  await db
    .updateTable('portal_developers')
    .set({ record: JSON.stringify(record) })
    .where('id', '=', record.id)
    .execute();
}

export async function getPortalDeveloper(db: Db, id: HexId): Promise<PortalDeveloperRecord | undefined> {
  return parse(await db.selectFrom('portal_developers').select('record').where('id', '=', id).executeTakeFirst()) as
    PortalDeveloperRecord | undefined;
}

export async function getPortalDeveloperByEmail(db: Db, email: string): Promise<PortalDeveloperRecord | undefined> {
  return parse(
    await db.selectFrom('portal_developers').select('record').where('email', '=', email).executeTakeFirst(),
  ) as PortalDeveloperRecord | undefined;
}

export async function listPortalDevelopers(db: Db): Promise<PortalDeveloperRecord[]> {
  const rows = await db.selectFrom('portal_developers').select('record').orderBy('created_on').orderBy('id').execute();
  return rows.map((row) => JSON.parse(row.record) as PortalDeveloperRecord);
}

// One-time links.

export async function createPortalLink(db: Db, record: PortalLinkRecord): Promise<void> {
  await insertUnique(
    db,
    'portal_links',
    { id: record.id, secret_hash: record.secretHash, used_on: record.usedOn, record: JSON.stringify(record) },
    'a link with this secret exists',
  );
}

export async function getPortalLinkBySecretHash(db: Db, secretHash: string): Promise<PortalLinkRecord | undefined> {
  const row = await db
    .selectFrom('portal_links')
    .select(['record', 'used_on'])
    .where('secret_hash', '=', secretHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return { ...(JSON.parse(row.record) as PortalLinkRecord), usedOn: row.used_on };
}

export async function usePortalLink(db: Db, id: HexId, usedOn: string): Promise<boolean> {
  const result = await db
    .updateTable('portal_links')
    .set({ used_on: usedOn })
    .where('id', '=', id)
    .where('used_on', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// Apps.

export async function createPortalApp(db: Db, record: PortalAppRecord): Promise<void> {
  await db
    .insertInto('portal_apps')
    .values({
      id: record.id,
      developer_id: record.developerId,
      record: JSON.stringify(record),
      created_on: record.createdOn,
    })
    .execute();
}

export async function updatePortalApp(db: Db, record: PortalAppRecord): Promise<void> {
  await db
    .updateTable('portal_apps')
    .set({ record: JSON.stringify(record) })
    .where('id', '=', record.id)
    .where('developer_id', '=', record.developerId)
    .execute();
}

export async function getPortalApp(db: Db, developerId: HexId, id: HexId): Promise<PortalAppRecord | undefined> {
  return parse(
    await db
      .selectFrom('portal_apps')
      .select('record')
      .where('id', '=', id)
      .where('developer_id', '=', developerId)
      .executeTakeFirst(),
  ) as PortalAppRecord | undefined;
}

export async function listPortalApps(db: Db, developerId: HexId): Promise<PortalAppRecord[]> {
  const rows = await db
    .selectFrom('portal_apps')
    .select('record')
    .where('developer_id', '=', developerId)
    .orderBy('created_on')
    .orderBy('id')
    .execute();
  return rows.map((row) => JSON.parse(row.record) as PortalAppRecord);
}

export async function deletePortalApp(db: Db, developerId: HexId, id: HexId): Promise<void> {
  await db.deleteFrom('portal_apps').where('id', '=', id).where('developer_id', '=', developerId).execute();
}

// Access requests.

export async function putPortalAccessRequest(db: Db, record: PortalAccessRequestRecord): Promise<void> {
  const columns = {
    developer_id: record.developerId,
    app_id: record.appId,
    product_id: record.productId,
    status: record.status,
    record: JSON.stringify(record),
  };
  await db
    .insertInto('portal_access_requests')
    .values({ id: record.id, ...columns, requested_on: record.requestedOn })
    .onConflict((conflict) => conflict.column('id').doUpdateSet(columns))
    .execute();
}

export async function getPortalAccessRequest(db: Db, id: HexId): Promise<PortalAccessRequestRecord | undefined> {
  return parse(
    await db.selectFrom('portal_access_requests').select('record').where('id', '=', id).executeTakeFirst(),
  ) as PortalAccessRequestRecord | undefined;
}

// A hold is the status column `deciding <ISO time>` while the JSON record keeps its status: lists
// by status skip a request being decided, and reads show it as it was until the decision is put.
const HOLD = 'deciding ';

export async function claimPortalAccessRequest(
  db: Db,
  id: HexId,
  from: AccessRequestStatus,
  claimedOn: string,
  staleBefore: string,
): Promise<boolean> {
  const row = await db.selectFrom('portal_access_requests').select('status').where('id', '=', id).executeTakeFirst();
  if (row === undefined) return false;
  const stale = row.status.startsWith(HOLD) && row.status.slice(HOLD.length) < staleBefore;
  if (row.status !== from && !stale) return false;
  // Compare-and-set on the value just read (equality only, so any collation agrees).
  const result = await db
    .updateTable('portal_access_requests')
    .set({ status: `${HOLD}${claimedOn}` })
    .where('id', '=', id)
    .where('status', '=', row.status)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listPortalAccessRequests(
  db: Db,
  filter: PortalAccessRequestFilter,
): Promise<PortalAccessRequestRecord[]> {
  if (filter.statuses !== undefined && filter.statuses.length === 0) return [];
  let query = db.selectFrom('portal_access_requests').select('record');
  if (filter.developerId !== undefined) query = query.where('developer_id', '=', filter.developerId);
  if (filter.appId !== undefined) query = query.where('app_id', '=', filter.appId);
  if (filter.productId !== undefined) query = query.where('product_id', '=', filter.productId);
  if (filter.statuses !== undefined) query = query.where('status', 'in', [...filter.statuses]);
  const rows = await query.orderBy('requested_on').orderBy('id').execute();
  return rows.map((row) => JSON.parse(row.record) as PortalAccessRequestRecord);
}
