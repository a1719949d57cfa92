/**
 * The value types of the rules language (Cloudflare's field types): Boolean, Integer, String, IP address, and
 * arrays and maps of those. Types are small frozen objects compared by their printed name.
 */

export type RuleType = ScalarType | ArrayType | MapType;

export interface ScalarType {
  readonly kind: 'Bool' | 'Int' | 'String' | 'Ip';
}

export interface ArrayType {
  readonly kind: 'Array';
  readonly element: RuleType;
}

export interface MapType {
  readonly kind: 'Map';
  readonly value: RuleType;
}

export const BOOL: ScalarType = Object.freeze({ kind: 'Bool' });
export const INT: ScalarType = Object.freeze({ kind: 'Int' });
export const STRING: ScalarType = Object.freeze({ kind: 'String' });
export const IP: ScalarType = Object.freeze({ kind: 'Ip' });

export function arrayOf(element: RuleType): ArrayType {
  return Object.freeze({ kind: 'Array', element });
}

export function mapOf(value: RuleType): MapType {
  return Object.freeze({ kind: 'Map', value });
}

/** `Bool`, `Array<String>`, `Map<Array<String>>`. */
export function typeName(type: RuleType): string {
  switch (type.kind) {
    case 'Array':
      return `Array<${typeName(type.element)}>`;
    case 'Map':
      return `Map<${typeName(type.value)}>`;
    default:
      return type.kind;
  }
}

export function sameType(a: RuleType, b: RuleType): boolean {
  return typeName(a) === typeName(b);
}
