/**
 * The functions an expression may call, with the arity, signature and examples docs/reference/rules-language.md
 * shows. Typing rules are in type-check.ts, evaluation in compile-call.ts. Cloudflare has more functions, most
 * of them for rewrite phases; naming one of those is an error that says it is not supported here rather than
 * "unknown".
 */
import type { FunctionName } from './ast.ts';

export interface FunctionDefinition {
  readonly name: FunctionName;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** `lower(String) → String`. */
  readonly signature: string;
  readonly description: string;
  readonly example: string;
}

const list: FunctionDefinition[] = [
  {
    name: 'lower',
    minArgs: 1,
    maxArgs: 1,
    signature: 'lower(String) → String',
    description: 'ASCII letters to lower case; other bytes unchanged.',
    example: 'lower(http.request.uri.path) contains "/wp-login.php"',
  },
  {
    name: 'upper',
    minArgs: 1,
    maxArgs: 1,
    signature: 'upper(String) → String',
    description: 'ASCII letters to upper case; other bytes unchanged.',
    example: 'upper(http.request.method) eq "GET"',
  },
  {
    name: 'len',
    minArgs: 1,
    maxArgs: 1,
    signature: 'len(String | Array) → Int',
    description: 'Length of a string in bytes, or number of elements of an array.',
    example: 'len(http.request.uri.query) > 1024',
  },
  {
    name: 'starts_with',
    minArgs: 2,
    maxArgs: 2,
    signature: 'starts_with(String, String literal) → Bool',
    description: 'The first argument (a field or function, not a literal) begins with the second.',
    example: 'starts_with(http.request.uri.path, "/admin/")',
  },
  {
    name: 'ends_with',
    minArgs: 2,
    maxArgs: 2,
    signature: 'ends_with(String, String literal) → Bool',
    description: 'The first argument (a field or function, not a literal) ends with the second.',
    example: 'ends_with(http.host, ".example.com")',
  },
  {
    name: 'concat',
    minArgs: 1,
    maxArgs: 64,
    signature: 'concat(String…) → String, concat(Array<T>…) → Array<T>',
    description: 'Joins strings (fields or literals), or arrays of the same element type.',
    example: 'concat(http.host, http.request.uri.path) eq "api.example.com/v1"',
  },
  {
    name: 'any',
    minArgs: 1,
    maxArgs: 1,
    signature: 'any(Array<Bool>) → Bool',
    description: 'At least one element is true; false for an empty or missing array.',
    example: 'any(http.request.headers["accept"][*] contains "json")',
  },
  {
    name: 'all',
    minArgs: 1,
    maxArgs: 1,
    signature: 'all(Array<Bool>) → Bool',
    description: 'Every element is true; true for an empty array, false for a missing one.',
    example: 'all(http.request.headers["x-tenant"][*] eq "acme")',
  },
];

export const FUNCTIONS: ReadonlyMap<string, FunctionDefinition> = new Map(list.map((d) => [d.name, Object.freeze(d)]));

/** Cloudflare functions that exist there but not in this engine (or not in the custom-rules phase). */
export const UNSUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set([
  'bit_slice',
  'cidr',
  'cidr6',
  'decode_base64',
  'encode_base64',
  'has_key',
  'has_value',
  'is_timed_hmac_valid_v0',
  'join',
  'lookup_json_integer',
  'lookup_json_string',
  'regex_replace',
  'remove_bytes',
  'remove_query_args',
  'sha256',
  'split',
  'substring',
  'to_string',
  'url_decode',
  'uuidv4',
  'wildcard_replace',
]);
