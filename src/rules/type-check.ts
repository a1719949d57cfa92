/**
 * Type checking, done by the parser as it builds each node (so every error has its position): which operators a
 * type has, which literals fit it, what a function accepts and returns, and where `[*]` may appear.
 *
 * `[*]` typing: `x[*]` is "mapped": it stands for each element of `x` in turn. A function whose first argument is
 * mapped is applied per element and returns an array (`lower(names[*])` is an `Array<String>`); a comparison with
 * a mapped left side returns `Array<Bool>`, which only `any()`/`all()` accept. So
 * `any(lower(http.request.headers.names[*])[*] == "content-type")` types as Bool, and
 * `http.request.headers.names[*] == "x"` alone is refused (docs/reference/rules-language.md, "Arrays, maps and `[*]`").
 */
import type { ComparisonOperator } from './ast.ts';
import type { FieldDefinition } from './fields.ts';
import { findField, FIELDS } from './fields.ts';
import type { FunctionDefinition } from './functions.ts';
import type { BareLiteral } from './literals.ts';
import { RuleError, describeFound, type RuleErrorCode } from './rule-error.ts';
import { arrayOf, BOOL, INT, STRING, sameType, typeName, type RuleType } from './types.ts';

/** A value's type; `mapped` when it stands for each element of an array expanded with `[*]`. */
export interface Typed {
  readonly type: RuleType;
  readonly mapped: boolean;
}

export interface Span {
  readonly start: number;
  readonly end: number;
}

/** What the parser found as a function argument. */
export interface CheckedArgument {
  readonly typed: Typed;
  readonly form: 'value' | 'literal' | 'expression';
  /** Source text, for messages. */
  readonly text: string;
  readonly span: Span;
}

/** A literal on the right of an operator, as found. */
export type FoundLiteral =
  { readonly kind: 'string'; readonly text: string } | (BareLiteral & { readonly text: string });

export const BOOL_TYPED: Typed = Object.freeze({ type: BOOL, mapped: false });
const BOOL_ARRAY = arrayOf(BOOL);

const OPERATORS_BY_TYPE: Readonly<Record<string, readonly ComparisonOperator[]>> = {
  String: ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains', 'matches', 'wildcard', 'strict wildcard', 'in'],
  Int: ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in'],
  Ip: ['eq', 'ne', 'in'],
};

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

function suggestField(name: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of FIELDS.keys()) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : `: did you mean ${best}?`;
}

function describeLiteral(found: FoundLiteral): string {
  switch (found.kind) {
    case 'string':
      return `the string ${describeFound(found.text)}`;
    case 'int':
      return `the integer ${found.text}`;
    case 'int_range':
      return `the integer range ${found.text}`;
    case 'ip':
      return `the IP address ${found.text}`;
    case 'ip_range':
      return `the IP range ${found.text}`;
    case 'cidr':
      return `the CIDR ${found.text}`;
    case 'invalid':
      return describeFound(found.text);
  }
}

const SYMBOL_HINTS: Readonly<Record<string, string>> = {
  '"="': ': did you mean "=="?',
  '"&"': ': did you mean "&&"?',
  '"|"': ': did you mean "||"?',
  '"^"': ': did you mean "^^"?',
};

/** A hint for a single-character operator typed where a doubled one exists. */
export function symbolHint(found: string): string {
  return SYMBOL_HINTS[found] ?? '';
}

export class TypeChecker {
  readonly #source: string;

  constructor(source: string) {
    this.#source = source;
  }

  fail(code: RuleErrorCode, reason: string, span: Span): never {
    throw new RuleError(code, reason, this.#source, span.start, span.end - span.start);
  }

  field(name: string, span: Span): { typed: Typed; definition: FieldDefinition } {
    const definition = findField(name);
    if (definition === undefined) {
      this.fail('GW_ERR_RULE_UNKNOWN_NAME', `unknown field ${describeFound(name)}${suggestField(name)}`, span);
    }
    return { typed: { type: definition.type, mapped: false }, definition };
  }

  expand(target: Typed, text: string, span: Span): Typed {
    if (target.mapped) this.fail('GW_ERR_RULE_TYPE', `${text} is already expanded: use [*] once per value`, span);
    if (target.type.kind === 'Array') return { type: target.type.element, mapped: true };
    if (target.type.kind === 'Map') return { type: target.type.value, mapped: true };
    return this.fail(
      'GW_ERR_RULE_TYPE',
      `[*] applies to arrays and maps, not to ${typeName(target.type)} (${text})`,
      span,
    );
  }

  index(target: Typed, text: string, span: Span): Typed {
    if (target.type.kind !== 'Array') {
      const hint = target.type.kind === 'Map' ? ': maps are indexed by a "key"' : '';
      this.fail('GW_ERR_RULE_TYPE', `[n] applies to arrays, not to ${typeName(target.type)} (${text})${hint}`, span);
    }
    return { type: target.type.element, mapped: target.mapped };
  }

  key(target: Typed, text: string, key: string, lowercaseKeys: boolean, span: Span): Typed {
    if (target.type.kind !== 'Map') {
      this.fail('GW_ERR_RULE_TYPE', `["key"] applies to maps, not to ${typeName(target.type)} (${text})`, span);
    }
    if (lowercaseKeys && /[A-Z]/.test(key)) {
      const lowered = key.replace(/[A-Z]/g, (c) => c.toLowerCase());
      this.fail('GW_ERR_RULE_TYPE', `keys of ${text} are lower case: write [${JSON.stringify(lowered)}]`, span);
    }
    return { type: target.type.value, mapped: target.mapped };
  }

  /** A logical operand, the operand of `not`, or the whole expression: must be one Boolean. */
  boolean(typed: Typed, what: string, span: Span): void {
    if (typed.mapped || !sameType(typed.type, BOOL)) {
      const hint = sameType(typed.type, BOOL_ARRAY) ? ': wrap comparisons with [*] in any() or all()' : '';
      this.fail('GW_ERR_RULE_TYPE', `${what} must be a Boolean, found ${typeName(typed.type)}${hint}`, span);
    }
  }

  /** A value written without an operator: fine for Booleans (and, inside any/all, arrays of them). */
  standAlone(typed: Typed, text: string, span: Span, next: string): void {
    if (typed.mapped) {
      this.fail('GW_ERR_RULE_TYPE', `${text} must be compared (${text} eq …) or passed to a function`, span);
    }
    if (sameType(typed.type, BOOL) || sameType(typed.type, BOOL_ARRAY)) return;
    this.fail(
      'GW_ERR_RULE_SYNTAX',
      `expected an operator after ${text} (${typeName(typed.type)}), found ${next}${symbolHint(next)}`,
      { start: span.end, end: span.end + 1 },
    );
  }

  operator(left: Typed, leftText: string, operator: ComparisonOperator, span: Span): void {
    const type = left.type;
    if (type.kind === 'Bool') {
      this.fail(
        'GW_ERR_RULE_TYPE',
        `${leftText} is a Boolean and takes no operator: write ${leftText} or not ${leftText}`,
        span,
      );
    }
    if (type.kind === 'Array' || type.kind === 'Map') {
      const hint =
        type.kind === 'Map'
          ? `look up a key first: ${leftText}["name"]`
          : `compare each element with ${leftText}[*] inside any() or all()`;
      this.fail('GW_ERR_RULE_TYPE', `operator ${operator} is not defined for ${typeName(type)}: ${hint}`, span);
    }
    const allowed = OPERATORS_BY_TYPE[type.kind] ?? [];
    if (!allowed.includes(operator)) {
      this.fail(
        'GW_ERR_RULE_TYPE',
        `operator ${operator} is not defined for ${typeName(type)} (${leftText}): use ${allowed.join(', ')}`,
        span,
      );
    }
  }

  /** A literal after `eq`…`ge` (`inSet` false) or inside `in {…}` (`inSet` true). */
  literal(expected: RuleType, inSet: boolean, found: FoundLiteral, span: Span): void {
    if (found.kind === 'invalid' && found.problem !== undefined) this.fail('GW_ERR_RULE_SYNTAX', found.problem, span);
    const kinds: readonly string[] =
      expected.kind === 'String'
        ? ['string']
        : expected.kind === 'Int'
          ? inSet
            ? ['int', 'int_range']
            : ['int']
          : inSet
            ? ['ip', 'cidr', 'ip_range']
            : ['ip'];
    if (kinds.includes(found.kind)) return;
    const code: RuleErrorCode = found.kind === 'invalid' ? 'GW_ERR_RULE_SYNTAX' : 'GW_ERR_RULE_TYPE';
    const wanted =
      expected.kind === 'String'
        ? 'a quoted string'
        : expected.kind === 'Int'
          ? inSet
            ? 'an integer or a range'
            : 'an integer'
          : inSet
            ? 'an IP address, a CIDR or a range'
            : 'an IP address';
    let hint = '';
    if (found.kind === 'cidr' || found.kind === 'ip_range' || found.kind === 'int_range') hint = ': use in {…}';
    else if (found.kind === 'string' && expected.kind !== 'String') hint = ': write it without quotes';
    this.fail(code, `expected ${wanted}, found ${describeLiteral(found)}${hint}`, span);
  }

  call(definition: FunctionDefinition, args: readonly CheckedArgument[], name: Span, close: Span): Typed {
    const count = args.length;
    if (count < definition.minArgs || count > definition.maxArgs) {
      const expected =
        definition.minArgs === definition.maxArgs
          ? `${definition.minArgs} argument${definition.minArgs === 1 ? '' : 's'}`
          : `${definition.minArgs} to ${definition.maxArgs} arguments`;
      const at = count > definition.maxArgs ? (args[definition.maxArgs]?.span ?? close) : close;
      this.fail('GW_ERR_RULE_TYPE', `${definition.name} takes ${expected}, found ${count}`, at);
    }
    for (let i = 1; i < count; i++) {
      const arg = args[i];
      if (arg?.typed.mapped === true) {
        this.fail('GW_ERR_RULE_TYPE', `[*] is only allowed in the first argument of a function`, arg.span);
      }
    }
    const first = args[0] as CheckedArgument;
    const result = this.#callResult(definition, args, first);
    return first.typed.mapped ? { type: arrayOf(result), mapped: false } : { type: result, mapped: false };
  }

  #callResult(definition: FunctionDefinition, args: readonly CheckedArgument[], first: CheckedArgument): RuleType {
    const name = definition.name;
    switch (name) {
      case 'lower':
      case 'upper':
        this.#argument(name, first, 'value', (t) => t.kind === 'String', 'a String');
        return STRING;
      case 'len':
        this.#argument(name, first, 'value', (t) => t.kind === 'String' || t.kind === 'Array', 'a String or an Array');
        return INT;
      case 'starts_with':
      case 'ends_with':
        this.#argument(name, first, 'value', (t) => t.kind === 'String', 'a String field');
        this.#argument(name, args[1] as CheckedArgument, 'literal', (t) => t.kind === 'String', 'a string literal');
        return BOOL;
      case 'any':
      case 'all':
        if (first.form !== 'expression' || first.typed.mapped || !sameType(first.typed.type, BOOL_ARRAY)) {
          this.fail(
            'GW_ERR_RULE_TYPE',
            `${name} expects an Array<Bool> such as ${name}(http.request.headers.names[*] eq "x"), found ${typeName(first.typed.type)}`,
            first.span,
          );
        }
        return BOOL;
      case 'concat':
        return this.#concat(args, first);
    }
  }

  #concat(args: readonly CheckedArgument[], first: CheckedArgument): RuleType {
    const type = first.typed.type;
    if (type.kind !== 'String' && type.kind !== 'Array') {
      this.fail(
        'GW_ERR_RULE_TYPE',
        `concat joins Strings or Arrays, found ${typeName(type)} (${first.text})`,
        first.span,
      );
    }
    for (const arg of args) {
      if (arg.form === 'expression') this.fail('GW_ERR_RULE_TYPE', 'concat takes values, not conditions', arg.span);
      if (!sameType(arg.typed.type, type)) {
        this.fail(
          'GW_ERR_RULE_TYPE',
          `concat arguments must all be ${typeName(type)}, found ${typeName(arg.typed.type)} (${arg.text})`,
          arg.span,
        );
      }
      if (type.kind === 'Array' && arg.form === 'literal') {
        this.fail('GW_ERR_RULE_TYPE', 'concat of arrays takes fields, not literals', arg.span);
      }
    }
    return type;
  }

  #argument(
    name: string,
    arg: CheckedArgument,
    form: 'value' | 'literal',
    accepts: (type: RuleType) => boolean,
    wanted: string,
  ): void {
    if (arg.form !== form) {
      const found = arg.form === 'literal' ? 'a literal' : arg.form === 'expression' ? 'a condition' : arg.text;
      this.fail('GW_ERR_RULE_TYPE', `${name} expects ${wanted} here, found ${found}`, arg.span);
    }
    if (!accepts(arg.typed.type)) {
      this.fail(
        'GW_ERR_RULE_TYPE',
        `${name} expects ${wanted}, found ${typeName(arg.typed.type)} (${arg.text})`,
        arg.span,
      );
    }
  }
}

export const INT_TYPED: Typed = Object.freeze({ type: INT, mapped: false });
export const STRING_TYPED: Typed = Object.freeze({ type: STRING, mapped: false });
