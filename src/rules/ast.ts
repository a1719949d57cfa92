/**
 * The rules-language AST: plain data (JSON-serialisable, no classes, no source positions), so golden files show
 * it as JSON, the printer renders it back to canonical text and the compiler turns it into a closure. Positions
 * are only needed for errors, and every error is found while parsing (the parser type-checks as it goes).
 *
 * Canonical shape: parentheses leave no node; `and`/`xor`/`or` are n-ary and never directly contain the same
 * operator (all three are associative); C-like operators are stored under their English names.
 *
 * Strings are byte strings: one JS char per byte (0–255), as Node gives header values. A literal written with
 * non-ASCII characters holds their UTF-8 bytes. Regex patterns are kept as written (see regex/regex-syntax.ts).
 */

export type LogicalOperator = 'and' | 'xor' | 'or';

export type ComparisonOperator =
  'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'contains' | 'matches' | 'wildcard' | 'strict wildcard' | 'in';

export type FunctionName = 'lower' | 'upper' | 'len' | 'starts_with' | 'ends_with' | 'any' | 'all' | 'concat';

/** Anything that is true or false (or, inside `any()`/`all()`, an array of those). */
export type Expression = LogicalExpression | NotExpression | BooleanLiteral | PredicateExpression | Comparison;

export interface LogicalExpression {
  readonly type: 'logical';
  readonly operator: LogicalOperator;
  /** At least two; none is a logical expression with the same operator. */
  readonly operands: readonly Expression[];
}

export interface NotExpression {
  readonly type: 'not';
  readonly operand: Expression;
}

/** `true` / `false`. */
export interface BooleanLiteral {
  readonly type: 'boolean';
  readonly value: boolean;
}

/** A Boolean value standing alone: `ssl`, `cf.tls_client_auth.cert_verified`, `starts_with(…)`, `any(…)`. */
export interface PredicateExpression {
  readonly type: 'predicate';
  readonly value: ValueExpression;
}

export interface Comparison {
  readonly type: 'comparison';
  readonly operator: ComparisonOperator;
  readonly left: ValueExpression;
  readonly right: ComparisonOperand;
}

export type ValueExpression = FieldReference | FunctionCall | MapKey | ArrayIndex | Expand;

export interface FieldReference {
  readonly type: 'field';
  readonly name: string;
}

export interface FunctionCall {
  readonly type: 'call';
  readonly name: FunctionName;
  readonly args: readonly Argument[];
}

/** `target["key"]` on a map. */
export interface MapKey {
  readonly type: 'key';
  readonly target: ValueExpression;
  readonly key: string;
}

/** `target[3]` on an array (0-based). */
export interface ArrayIndex {
  readonly type: 'index';
  readonly target: ValueExpression;
  readonly index: number;
}

/** `target[*]`: every element of an array (or every value of a map), one at a time. */
export interface Expand {
  readonly type: 'expand';
  readonly target: ValueExpression;
}

/** A function argument: a value, a literal, or (for `any`/`all`) an expression. */
export type Argument = ValueExpression | StringLiteral | IntegerLiteral | Expression;

export interface StringLiteral {
  readonly type: 'string';
  /** Byte string (one char per byte). */
  readonly value: string;
}

export interface IntegerLiteral {
  readonly type: 'int';
  readonly value: number;
}

export interface IntegerRange {
  readonly type: 'int_range';
  readonly from: number;
  readonly to: number;
}

export interface IpLiteral {
  readonly type: 'ip';
  /** Canonical text: dotted IPv4, RFC 5952 IPv6. */
  readonly value: string;
}

export interface IpRange {
  readonly type: 'ip_range';
  readonly from: string;
  readonly to: string;
}

export interface CidrLiteral {
  readonly type: 'cidr';
  /** Canonical `address/prefix`; the host bits are zero. */
  readonly value: string;
}

export interface RegexLiteral {
  readonly type: 'regex';
  readonly pattern: string;
}

export interface SetLiteral {
  readonly type: 'set';
  readonly items: readonly SetItem[];
}

export type SetItem = StringLiteral | IntegerLiteral | IntegerRange | IpLiteral | IpRange | CidrLiteral;

export type ComparisonOperand = StringLiteral | IntegerLiteral | IpLiteral | RegexLiteral | SetLiteral;
