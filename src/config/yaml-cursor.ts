/**
 * YamlCursor: one node of a parsed YAML document together with where it came from (the key path,
 * `accounts[0].zones[1].routes[2]`, and the line), so a configuration reader can refuse a value and
 * say exactly where it is. Maps refuse every key the reader does not ask for: a typo (`mtsl:`) must
 * never be silently ignored. Anchors and aliases are refused: a configuration file does not need
 * them, and they are how a small YAML file expands into a huge one.
 *
 * Values are never quoted back in full (at most 80 characters of one line), so a private key pasted
 * where a file path belongs does not end up in a log.
 */
import { isAlias, isMap, isScalar, isSeq, visit, type LineCounter, type Node } from 'yaml';
import { GW_ERR_CONFIG_INVALID, type GatewayError } from '../errors/index.ts';

/** The refusal of a configuration file: `<where>: <reason>`, exit code 3. */
export function configInvalid(where: string, reason: string): GatewayError {
  return GW_ERR_CONFIG_INVALID.create(`${where}: ${reason}`);
}

/** A short, single-line, quoted excerpt of a value for a message; PEM text is never repeated. */
export function excerpt(value: string): string {
  if (value.includes('-----BEGIN')) return '(PEM text)';
  const line = value.split(/\r?\n/, 1)[0] ?? '';
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

/** `.name` for a plain key, `["..."]` (an excerpt) for anything else, so a path never carries a secret. */
function pathSegment(key: unknown): string {
  if (typeof key === 'string' && /^[A-Za-z_][\w-]{0,63}$/.test(key)) return `.${key}`;
  return `[${typeof key === 'string' ? excerpt(key) : typeof key}]`;
}

interface Source {
  readonly file: string;
  readonly lines: LineCounter;
}

export class YamlCursor {
  /** Key path from the document root, `''` for the root itself. */
  readonly path: string;
  readonly #node: Node | null;
  readonly #source: Source;

  constructor(node: Node | null, source: Source, path = '') {
    this.#node = node;
    this.#source = source;
    this.path = path;
  }

  /** `file: key.path (line N)`: what error messages start with. */
  get where(): string {
    const line = this.#node?.range ? this.#source.lines.linePos(this.#node.range[0]).line : undefined;
    const key = this.path === '' ? '' : ` ${this.path}`;
    return `${this.#source.file}:${key}${line === undefined ? '' : ` (line ${line})`}`;
  }

  fail(reason: string): GatewayError {
    return configInvalid(this.where, reason);
  }

  /** True for an absent value: `key:` with nothing after it, or `~` / `null`. */
  get isNull(): boolean {
    return this.#node === null || (isScalar(this.#node) && this.#node.value === null);
  }

  get isList(): boolean {
    return isSeq(this.#node);
  }

  /** A map whose keys must all be in `allowed`. */
  fields(allowed: readonly string[]): YamlFields {
    const node = this.#node;
    if (!isMap(node)) throw this.fail(`must be a map of ${allowed.join(', ')}`);
    const values = new Map<string, YamlCursor>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const segment = pathSegment(key);
      const keyPath = this.path === '' ? segment.replace(/^\./, '') : `${this.path}${segment}`;
      const keyCursor = new YamlCursor(pair.key as Node | null, this.#source, keyPath);
      if (typeof key !== 'string') throw keyCursor.fail('keys must be plain words');
      if (!allowed.includes(key)) {
        throw keyCursor.fail(`unknown key ${excerpt(key)} (allowed here: ${allowed.join(', ')})`);
      }
      const value = pair.value as Node | null;
      if (isAlias(value)) throw keyCursor.fail('anchors and aliases (*name) are not supported');
      values.set(key, new YamlCursor(value, this.#source, keyPath));
    }
    return new YamlFields(this, values);
  }

  /** A sequence; each item a cursor at `path[i]`. */
  items(): YamlCursor[] {
    const node = this.#node;
    if (!isSeq(node)) throw this.fail('must be a list');
    return node.items.map((item, index) => {
      const cursor = new YamlCursor(item as Node | null, this.#source, `${this.path}[${index}]`);
      if (isAlias(item)) throw cursor.fail('anchors and aliases (*name) are not supported');
      return cursor;
    });
  }

  /** A non-empty string on one line (numbers and booleans are not strings: quote them). */
  string(): string {
    const value = isScalar(this.#node) ? this.#node.value : undefined;
    if (typeof value !== 'string') throw this.fail('must be a string');
    if (value.trim() === '') throw this.fail('must not be empty');
    if (/[\r\n]/.test(value)) throw this.fail('must be on one line');
    return value;
  }

  /** One of `choices`. */
  choice<T extends string>(choices: readonly T[]): T {
    const value = this.string();
    if (!(choices as readonly string[]).includes(value)) {
      throw this.fail(`must be one of ${choices.join(', ')}; got ${excerpt(value)}`);
    }
    return value as T;
  }

  /** `true` or `false` (YAML 1.2: `yes`, `on` are strings, and refused here). */
  boolean(): boolean {
    const value = isScalar(this.#node) ? this.#node.value : undefined;
    if (typeof value !== 'boolean') throw this.fail('must be true or false');
    return value;
  }

  /** A number (YAML `10`, not `"10"`); its range is the caller's check. */
  number(): number {
    const value = isScalar(this.#node) ? this.#node.value : undefined;
    if (typeof value !== 'number') throw this.fail('must be a number');
    return value;
  }

  /** A list of strings. */
  strings(): string[] {
    return this.items().map((item) => item.string());
  }

  /** The value as plain JSON data (maps, lists, scalars), for objects another validator checks. */
  json(): unknown {
    if (this.#node === null) return null;
    visit(this.#node, {
      Alias: () => {
        throw this.fail('anchors and aliases (*name) are not supported');
      },
    });
    return this.#node.toJSON();
  }
}

/** The keys of one map; a key the reader never asks for was already refused by `fields()`. */
export class YamlFields {
  readonly #map: YamlCursor;
  readonly #values: ReadonlyMap<string, YamlCursor>;

  constructor(map: YamlCursor, values: ReadonlyMap<string, YamlCursor>) {
    this.#map = map;
    this.#values = values;
  }

  /** The key's value; absent or null is refused. */
  required(key: string): YamlCursor {
    const value = this.optional(key);
    if (value === undefined) throw this.#map.fail(`missing ${key}`);
    return value;
  }

  /** Where each key present was written, for messages of checks made later. */
  locations(): Record<string, string> {
    return Object.fromEntries([...this.#values].map(([key, value]) => [key, value.where]));
  }

  /** The key's value, or undefined when the key is absent or null (`key:` with nothing after it). */
  optional(key: string): YamlCursor | undefined {
    const value = this.#values.get(key);
    return value === undefined || value.isNull ? undefined : value;
  }
}
