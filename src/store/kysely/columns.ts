/**
 * Column conversions shared by the query files: the portable encodings the schema uses (integer
 * booleans, JSON text, text enums) read back into record types, checked rather than cast, so a
 * row edited by hand or by a newer version fails loudly instead of flowing on with a wrong type.
 */

export function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

export function fromFlag(value: number, column: string): boolean {
  if (value === 0 || value === 1) return value === 1;
  throw new Error(`Store column ${column} holds ${String(value)}, expected 0 or 1`);
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], column: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`Store column ${column} holds an unknown value ${JSON.stringify(value)}`);
}

export function parseStringArray(text: string, column: string): string[] {
  const value: unknown = JSON.parse(text);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw new Error(`Store column ${column} does not hold a JSON array of strings`);
}

/** `count(*)` is a number on SQLite and a bigint (sent as text) on PostgreSQL. */
export function toCount(value: string | number | bigint): number {
  return Number(value);
}

/**
 * Plain code-unit order. Name lists are sorted here, not by ORDER BY: text order in PostgreSQL
 * follows the database collation (en-US puts `a.example` before `B.example`; SQLite compares bytes).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
