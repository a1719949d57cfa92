import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { StoreConflictError } from '../ports.ts';
import { guardUnique, isUniqueViolation } from './conflicts.ts';

function sqliteError(sql: string): unknown {
  const db = new Database(':memory:');
  try {
    db.exec('create table t (id text primary key, name text unique)');
    db.exec("insert into t values ('1', 'a')");
    db.exec(sql);
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error('expected a failure');
}

function postgresError(code: string): Error {
  const error = new pg.DatabaseError('duplicate key value violates unique constraint "zones_name_unique"', 0, 'error');
  error.code = code;
  return error;
}

test('unique and primary-key violations of both drivers are recognised, other failures are not', () => {
  assert.ok(isUniqueViolation(sqliteError("insert into t values ('2', 'a')")), 'SQLITE_CONSTRAINT_UNIQUE');
  assert.ok(isUniqueViolation(sqliteError("insert into t values ('1', 'b')")), 'SQLITE_CONSTRAINT_PRIMARYKEY');
  assert.ok(isUniqueViolation(postgresError('23505')));
  assert.ok(!isUniqueViolation(sqliteError("insert into t values (NULL, 'c', 'extra')")));
  assert.ok(!isUniqueViolation(postgresError('23503')), 'a foreign-key violation is not a conflict');
  assert.ok(!isUniqueViolation(new Error('plain')));
  assert.ok(!isUniqueViolation(undefined));
});

test('guardUnique turns a unique violation into StoreConflictError and passes anything else through', async () => {
  await assert.rejects(
    guardUnique('A zone named x already exists', () => Promise.reject(postgresError('23505'))),
    (error) => error instanceof StoreConflictError && error.message === 'A zone named x already exists',
  );
  const other = postgresError('23503');
  await assert.rejects(
    guardUnique('unused', () => Promise.reject(other)),
    (error) => error === other,
  );
  assert.equal(await guardUnique('unused', () => Promise.resolve(7)), 7);
});
