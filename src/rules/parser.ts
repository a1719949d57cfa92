/**
 * Parser: expression text → checked AST, by precedence climbing over the logical operators (`not` > `and` >
 * `xor` > `or`, all left-associative; docs/reference/rules-language.md, "Grammar") and recursive descent below them. It
 * type-checks each node as it builds it, so every error, syntax or type, carries the position it is about. What
 * follows a comparison operator is operand-parser.ts's.
 *
 * It throws RuleError and nothing else: input over MAX_EXPRESSION_LENGTH is refused before lexing, and every
 * recursion (parentheses, `not`, function calls) counts against MAX_NESTING_DEPTH, so no input can overflow the
 * stack. Grammar (EBNF in docs/reference/rules-language.md):
 *
 *   expression := unary { ("and"|"&&"|"xor"|"^^"|"or"|"||") unary }      by precedence
 *   unary      := ("not"|"!") unary | "(" expression ")" | "true" | "false" | value [ operator operand ]
 *   value      := (field | function "(" [ argument { "," argument } ] ")") { "[" (integer | string | "*") "]" }
 */
import type { Argument, ComparisonOperator, Expression, LogicalOperator, ValueExpression } from './ast.ts';
import type { FieldDefinition } from './fields.ts';
import { FUNCTIONS, UNSUPPORTED_FUNCTIONS, type FunctionDefinition } from './functions.ts';
import { found, isSymbol, isWord, Lexer, spanOf, type Token } from './lexer.ts';
import { MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH } from './limits.ts';
import { classifyBareLiteral } from './literals.ts';
import { OperandParser } from './operand-parser.ts';
import { RuleError, describeFound, lineAndColumn, type RuleErrorCode } from './rule-error.ts';
import {
  BOOL_TYPED,
  INT_TYPED,
  STRING_TYPED,
  symbolHint,
  TypeChecker,
  type CheckedArgument,
  type Span,
  type Typed,
} from './type-check.ts';
import { arrayOf, BOOL } from './types.ts';

const LOGICAL: Readonly<Record<string, LogicalOperator>> = {
  and: 'and',
  '&&': 'and',
  xor: 'xor',
  '^^': 'xor',
  or: 'or',
  '||': 'or',
};

const PRECEDENCE: Readonly<Record<LogicalOperator, number>> = { or: 1, xor: 2, and: 3 };

const COMPARISON: Readonly<Record<string, ComparisonOperator>> = {
  eq: 'eq',
  '==': 'eq',
  ne: 'ne',
  '!=': 'ne',
  lt: 'lt',
  '<': 'lt',
  le: 'le',
  '<=': 'le',
  gt: 'gt',
  '>': 'gt',
  ge: 'ge',
  '>=': 'ge',
  contains: 'contains',
  matches: 'matches',
  '~': 'matches',
  wildcard: 'wildcard',
  in: 'in',
};

const KEYWORDS = new Set([...Object.keys(LOGICAL), ...Object.keys(COMPARISON), 'not', 'strict', 'true', 'false']);

const EXPECTED_START = 'expected a field, a function, "not" or "("';

interface Parsed<T> {
  readonly node: T;
  readonly typed: Typed;
  readonly span: Span;
}

interface ParsedValue extends Parsed<ValueExpression> {
  /** Source text, for messages. */
  readonly text: string;
  /** Set while the value is a bare field (for field-specific checks such as lower-case header keys). */
  readonly field: FieldDefinition | undefined;
}

function logicalOperator(token: Token): LogicalOperator | undefined {
  return token.kind === 'word' || token.kind === 'symbol' ? LOGICAL[token.text] : undefined;
}

/** `and` of an `and` adds operands instead of nesting: the canonical form (all three operators associate). */
function combine(operator: LogicalOperator, left: Expression, right: Expression): Expression {
  const operands: Expression[] = [];
  for (const side of [left, right]) {
    if (side.type === 'logical' && side.operator === operator) operands.push(...side.operands);
    else operands.push(side);
  }
  return { type: 'logical', operator, operands };
}

class Parser {
  readonly #source: string;
  readonly #lexer: Lexer;
  readonly #checker: TypeChecker;
  readonly #operands: OperandParser;

  constructor(source: string) {
    this.#source = source;
    this.#lexer = new Lexer(source);
    this.#checker = new TypeChecker(source);
    this.#operands = new OperandParser(source, this.#lexer, this.#checker);
  }

  #fail(code: RuleErrorCode, reason: string, span: Span): never {
    throw new RuleError(code, reason, this.#source, span.start, span.end - span.start);
  }

  parse(): Expression {
    const first = this.#lexer.peek();
    if (first.kind === 'end')
      this.#fail('GW_ERR_RULE_SYNTAX', 'expected an expression, found end of input', spanOf(first));
    const result = this.#binary(0, 0);
    this.#checker.boolean(result.typed, 'the expression', result.span);
    const rest = this.#lexer.peek();
    if (rest.kind !== 'end') {
      const reason = `expected "and", "or", "xor" or end of input, found ${found(rest)}${symbolHint(found(rest))}`;
      this.#fail('GW_ERR_RULE_SYNTAX', reason, spanOf(rest));
    }
    return result.node;
  }

  #enter(depth: number, token: Token): void {
    if (depth > MAX_NESTING_DEPTH) {
      this.#fail('GW_ERR_RULE_LIMIT', `expression is nested more than ${MAX_NESTING_DEPTH} levels deep`, spanOf(token));
    }
  }

  /** Precedence climbing: operators binding at least as tightly as `minimum`, left to right. */
  #binary(minimum: number, depth: number): Parsed<Expression> {
    let left = this.#unary(depth);
    for (;;) {
      const token = this.#lexer.peek();
      const operator = logicalOperator(token);
      if (operator === undefined || PRECEDENCE[operator] < minimum) return left;
      this.#checker.boolean(left.typed, `the left side of ${operator}`, left.span);
      this.#lexer.next();
      const right = this.#binary(PRECEDENCE[operator] + 1, depth);
      this.#checker.boolean(right.typed, `the right side of ${operator}`, right.span);
      left = {
        node: combine(operator, left.node, right.node),
        typed: BOOL_TYPED,
        span: { start: left.span.start, end: right.span.end },
      };
    }
  }

  #unary(depth: number): Parsed<Expression> {
    const token = this.#lexer.peek();
    if (!isWord(token, 'not') && !isSymbol(token, '!')) return this.#primary(depth);
    this.#lexer.next();
    this.#enter(depth + 1, token);
    const operand = this.#unary(depth + 1);
    this.#checker.boolean(operand.typed, 'the operand of not', operand.span);
    return {
      node: { type: 'not', operand: operand.node },
      typed: BOOL_TYPED,
      span: { start: token.start, end: operand.span.end },
    };
  }

  #primary(depth: number): Parsed<Expression> {
    const token = this.#lexer.peek();
    if (isSymbol(token, '(')) {
      this.#lexer.next();
      this.#enter(depth + 1, token);
      const inner = this.#binary(0, depth + 1);
      const close = this.#lexer.peek();
      if (!isSymbol(close, ')')) {
        const where = lineAndColumn(this.#source, token.start);
        this.#fail(
          'GW_ERR_RULE_SYNTAX',
          `expected ")" to match the "(" at ${where}, found ${found(close)}`,
          spanOf(close),
        );
      }
      this.#lexer.next();
      return { ...inner, span: { start: token.start, end: close.end } };
    }
    if (token.kind !== 'word' || (KEYWORDS.has(token.text) && token.text !== 'true' && token.text !== 'false')) {
      this.#fail('GW_ERR_RULE_SYNTAX', `${EXPECTED_START}, found ${found(token)}`, spanOf(token));
    }
    if (token.text === 'true' || token.text === 'false') {
      this.#lexer.next();
      const next = this.#lexer.peek();
      if (this.#comparisonStart(next)) {
        this.#fail('GW_ERR_RULE_TYPE', `${token.text} is a Boolean and takes no operator`, spanOf(next));
      }
      return { node: { type: 'boolean', value: token.text === 'true' }, typed: BOOL_TYPED, span: spanOf(token) };
    }
    return this.#comparison(this.#value(depth));
  }

  #comparisonStart(token: Token): boolean {
    return (
      (token.kind === 'word' || token.kind === 'symbol') &&
      (COMPARISON[token.text] !== undefined || token.text === 'strict')
    );
  }

  #value(depth: number): ParsedValue {
    const token = this.#lexer.next();
    let parsed: ParsedValue;
    if (isSymbol(this.#lexer.peek(), '(')) {
      parsed = this.#call(token, depth);
    } else {
      const { typed, definition } = this.#checker.field(token.text, spanOf(token));
      parsed = {
        node: { type: 'field', name: token.text },
        typed,
        span: spanOf(token),
        text: token.text,
        field: definition,
      };
    }
    while (isSymbol(this.#lexer.peek(), '[')) parsed = this.#postfix(parsed);
    return parsed;
  }

  #postfix(target: ParsedValue): ParsedValue {
    const open = this.#lexer.next();
    const token = this.#lexer.peek();
    let node: ValueExpression;
    let typed: Typed;
    let text: string;
    if (isSymbol(token, '*')) {
      this.#lexer.next();
      const span = { start: open.start, end: this.#closeBracket() };
      typed = this.#checker.expand(target.typed, target.text, span);
      node = { type: 'expand', target: target.node };
      text = `${target.text}[*]`;
    } else if (token.kind === 'literal') {
      this.#lexer.next();
      if (!/^(?:0|[1-9][0-9]{0,8})$/.test(token.text)) {
        this.#fail('GW_ERR_RULE_SYNTAX', `expected an array index (0, 1, 2, …), found ${found(token)}`, spanOf(token));
      }
      const span = { start: open.start, end: this.#closeBracket() };
      typed = this.#checker.index(target.typed, target.text, span);
      node = { type: 'index', target: target.node, index: Number(token.text) };
      text = `${target.text}[${token.text}]`;
    } else if (token.kind === 'string') {
      const key = this.#lexer.readString();
      const span = { start: open.start, end: this.#closeBracket() };
      const lowercaseKeys = target.field?.lowercaseKeys === true;
      typed = this.#checker.key(target.typed, target.text, key.value, lowercaseKeys, span);
      node = { type: 'key', target: target.node, key: key.value };
      text = `${target.text}[${JSON.stringify(key.value)}]`;
    } else {
      return this.#fail(
        'GW_ERR_RULE_SYNTAX',
        `expected an index: a number, a "key" or *, found ${found(token)}`,
        spanOf(token),
      );
    }
    return { node, typed, span: { start: target.span.start, end: this.#lexer.position }, text, field: undefined };
  }

  /** Consumes `]`; returns the offset after it. */
  #closeBracket(): number {
    const token = this.#lexer.peek();
    if (!isSymbol(token, ']')) this.#fail('GW_ERR_RULE_SYNTAX', `expected "]", found ${found(token)}`, spanOf(token));
    this.#lexer.next();
    return token.end;
  }

  #call(nameToken: Token, depth: number): ParsedValue {
    const name = nameToken.text;
    const definition = FUNCTIONS.get(name);
    if (definition === undefined) {
      const reason = UNSUPPORTED_FUNCTIONS.has(name)
        ? `function ${name}() is not supported here`
        : `unknown function ${describeFound(name)}`;
      this.#fail('GW_ERR_RULE_UNKNOWN_NAME', reason, spanOf(nameToken));
    }
    this.#enter(depth + 1, nameToken);
    this.#lexer.next();
    const args: CheckedArgument[] = [];
    const nodes: Argument[] = [];
    let close = this.#lexer.peek();
    if (isSymbol(close, ')')) {
      this.#lexer.next();
    } else {
      for (;;) {
        const argument = this.#argument(definition, depth + 1);
        args.push(argument.checked);
        nodes.push(argument.node);
        const separator = this.#lexer.next();
        if (isSymbol(separator, ')')) {
          close = separator;
          break;
        }
        if (!isSymbol(separator, ',')) {
          this.#fail(
            'GW_ERR_RULE_SYNTAX',
            `expected "," or ")" after argument ${args.length} of ${name}(), found ${found(separator)}`,
            spanOf(separator),
          );
        }
      }
    }
    const typed = this.#checker.call(definition, args, spanOf(nameToken), spanOf(close));
    return {
      node: { type: 'call', name: definition.name, args: nodes },
      typed,
      span: { start: nameToken.start, end: close.end },
      text: this.#source.slice(nameToken.start, close.end),
      field: undefined,
    };
  }

  #argument(definition: FunctionDefinition, depth: number): { node: Argument; checked: CheckedArgument } {
    const token = this.#lexer.peek();
    const start = this.#lexer.position;
    if (definition.name === 'any' || definition.name === 'all') {
      const parsed = this.#binary(0, depth);
      const text = this.#source.slice(start, parsed.span.end);
      return { node: parsed.node, checked: { typed: parsed.typed, form: 'expression', text, span: parsed.span } };
    }
    if (token.kind === 'string') {
      const literal = this.#lexer.readString();
      const span = { start: literal.start, end: literal.end };
      const text = this.#source.slice(span.start, span.end);
      return {
        node: { type: 'string', value: literal.value },
        checked: { typed: STRING_TYPED, form: 'literal', text, span },
      };
    }
    if (token.kind === 'literal') {
      const literal = this.#lexer.readBareLiteral();
      const classified = classifyBareLiteral(literal.text);
      if (classified.kind !== 'int') {
        const reason = classified.kind === 'invalid' ? classified.problem : undefined;
        this.#fail(
          'GW_ERR_RULE_SYNTAX',
          reason ?? `expected an argument of ${definition.name}(), found ${found(literal)}`,
          spanOf(literal),
        );
      }
      return {
        node: { type: 'int', value: classified.value },
        checked: { typed: INT_TYPED, form: 'literal', text: literal.text, span: spanOf(literal) },
      };
    }
    if (token.kind !== 'word' || KEYWORDS.has(token.text)) {
      this.#fail(
        'GW_ERR_RULE_SYNTAX',
        `expected an argument of ${definition.name}(), found ${found(token)}`,
        spanOf(token),
      );
    }
    const value = this.#value(depth);
    return { node: value.node, checked: { typed: value.typed, form: 'value', text: value.text, span: value.span } };
  }

  #comparison(value: ParsedValue): Parsed<Expression> {
    const token = this.#lexer.peek();
    let operator: ComparisonOperator | undefined;
    let operatorSpan = spanOf(token);
    if (isWord(token, 'strict')) {
      this.#lexer.next();
      const next = this.#lexer.peek();
      if (!isWord(next, 'wildcard')) {
        this.#fail('GW_ERR_RULE_SYNTAX', `expected "wildcard" after "strict", found ${found(next)}`, spanOf(next));
      }
      this.#lexer.next();
      operator = 'strict wildcard';
      operatorSpan = { start: token.start, end: next.end };
    } else {
      operator = token.kind === 'word' || token.kind === 'symbol' ? COMPARISON[token.text] : undefined;
      if (operator === undefined) {
        this.#checker.standAlone(value.typed, value.text, value.span, found(token));
        return { node: { type: 'predicate', value: value.node }, typed: value.typed, span: value.span };
      }
      this.#lexer.next();
    }
    this.#checker.operator(value.typed, value.text, operator, operatorSpan);
    const right = this.#operands.parse(operator, value.typed.type);
    const typed = value.typed.mapped ? { type: arrayOf(BOOL), mapped: false } : BOOL_TYPED;
    return {
      node: { type: 'comparison', operator, left: value.node, right: right.node },
      typed,
      span: { start: value.span.start, end: right.end },
    };
  }
}

/**
 * parseExpression: the checked AST of an expression. Throws RuleError (and nothing else) for any text that is
 * not a valid expression, with the code, reason and position of the first problem.
 */
export function parseExpression(text: string): Expression {
  if (typeof text !== 'string') {
    throw new RuleError('GW_ERR_RULE_SYNTAX', 'expected an expression string', '', 0);
  }
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new RuleError(
      'GW_ERR_RULE_LIMIT',
      `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`,
      text,
      MAX_EXPRESSION_LENGTH,
    );
  }
  return new Parser(text).parse();
}
