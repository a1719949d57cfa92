/** Small readers shared by the config file's schema modules: lists, located strings, unique names. */
import type { Located } from './gateway-config-model.ts';
import { configInvalid, excerpt, type YamlCursor } from './yaml-cursor.ts';

export function listOf<T>(cursor: YamlCursor | undefined, read: (item: YamlCursor) => T): T[] {
  return cursor === undefined ? [] : cursor.items().map(read);
}

export function located(cursor: YamlCursor): Located<string> {
  return { value: cursor.string(), where: cursor.where };
}

/** Refuses the second item whose key equals an earlier one's. */
export function unique<T extends { where: string }>(items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Map<string, T>();
  for (const item of items) {
    const first = seen.get(key(item));
    if (first !== undefined) {
      throw configInvalid(item.where, `${what} ${excerpt(key(item))} is already declared at ${first.where}`);
    }
    seen.set(key(item), item);
  }
}
