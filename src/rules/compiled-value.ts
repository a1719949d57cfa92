/**
 * Compiled values: what the compiler turns a value expression into. A `scalar` is a reader, `(context) → value`.
 * `[*]` and functions applied per element never build an array on the evaluation path: they compile to a
 * pipeline, a source array (or map) plus a per-element function, which `any()`/`all()` walk in place:
 *
 *   any(lower(http.request.headers.names[*])[*] == "content-type")
 *       source: headers.names          element: e → lower(e) == "content-type"      any: first true wins
 *
 * `lazy` is such an array not yet expanded (`lower(names[*])`), `mapped` one expanded with `[*]`. Only when a
 * lazy array is used as a whole (`len(lower(names[*]))`, rare) is it materialised. `undefined` is the missing
 * value (absent map key, index out of range): comparisons with it are false.
 */
import type { RuleContext } from './rule-context.ts';

export type Reader = (context: RuleContext) => unknown;
export type ElementFunction = (element: unknown, context: RuleContext) => unknown;

export interface Source {
  readonly kind: 'array' | 'map';
  /** Returns a `readonly unknown[]` (array) or a string-keyed record (map), or undefined when missing. */
  readonly read: Reader;
}

export type CompiledValue =
  | { readonly form: 'scalar'; readonly read: Reader }
  | { readonly form: 'lazy' | 'mapped'; readonly source: Source; readonly element: ElementFunction | undefined };

type Record = Readonly<{ [key: string]: unknown }>;

export function compose(first: ElementFunction | undefined, then: ElementFunction): ElementFunction {
  if (first === undefined) return then;
  return (element, context) => then(first(element, context), context);
}

/** True when some element is `true`; false when none is or the source is missing. */
export function someTrue(source: Source, element: ElementFunction | undefined, context: RuleContext): boolean {
  const value = source.read(context);
  if (value === undefined) return false;
  if (source.kind === 'array') {
    const array = value as readonly unknown[];
    for (let i = 0; i < array.length; i++) {
      if ((element === undefined ? array[i] : element(array[i], context)) === true) return true;
    }
    return false;
  }
  const record = value as Record;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if ((element === undefined ? record[key] : element(record[key], context)) === true) return true;
  }
  return false;
}

/** True when every element is `true` (so for an empty source); false when one is not or the source is missing. */
export function everyTrue(source: Source, element: ElementFunction | undefined, context: RuleContext): boolean {
  const value = source.read(context);
  if (value === undefined) return false;
  if (source.kind === 'array') {
    const array = value as readonly unknown[];
    for (let i = 0; i < array.length; i++) {
      if ((element === undefined ? array[i] : element(array[i], context)) !== true) return false;
    }
    return true;
  }
  const record = value as Record;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if ((element === undefined ? record[key] : element(record[key], context)) !== true) return false;
  }
  return true;
}

/** A reader for the value as a whole; lazy arrays are built here (the one place that allocates an array). */
export function toReader(value: CompiledValue): Reader {
  if (value.form === 'scalar') return value.read;
  const { source, element } = value;
  return (context) => {
    const input = source.read(context);
    if (input === undefined) return undefined;
    const items: unknown[] = [];
    if (source.kind === 'array') {
      for (const item of input as readonly unknown[]) items.push(element === undefined ? item : element(item, context));
    } else {
      const record = input as Record;
      for (const key in record) {
        if (Object.hasOwn(record, key)) items.push(element === undefined ? record[key] : element(record[key], context));
      }
    }
    return items;
  };
}
