/**
 * Printer: AST → canonical expression text. English operators, single spaces, the fewest parentheses that keep
 * the tree (`not` > `and` > `xor` > `or`), decimal integers, canonical addresses, strings quoted with the
 * shortest escapes. `parseExpression(printExpression(ast))` gives `ast` back (the round-trip property test holds
 * it to that), so the rulesets API can store and show one spelling per rule.
 */
import type { Argument, ComparisonOperand, Expression, SetItem, ValueExpression } from './ast.ts';
import { decodeUtf8, toByteString } from './byte-string.ts';

/** Binding strength: higher binds tighter. */
const PRECEDENCE = { or: 1, xor: 2, and: 3, not: 4 } as const;

const MAX_RAW_HASHES = 255;

function hex(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** A byte string as a quoted literal: printable ASCII as is, valid UTF-8 as text, other bytes as `\xHH`. */
export function printString(value: string): string {
  const text = decodeUtf8(value);
  let out = '"';
  if (text === undefined) {
    for (let i = 0; i < value.length; i++) out += escapeChar(value.charCodeAt(i), true);
  } else {
    for (const char of text) {
      const code = char.codePointAt(0) ?? 0;
      // C1 controls and line/paragraph separators print as their UTF-8 bytes: same value, visible text.
      out +=
        code < 0x80
          ? escapeChar(code, false)
          : code <= 0x9f || code === 0x2028 || code === 0x2029
            ? utf8Escapes(char)
            : char;
    }
  }
  return `${out}"`;
}

function utf8Escapes(char: string): string {
  return Array.from(toByteString(char), (byte) => hex(byte.charCodeAt(0))).join('');
}

function escapeChar(code: number, bytesOnly: boolean): string {
  if (code === 0x22) return '\\"';
  if (code === 0x5c) return '\\\\';
  if (code < 0x20 || code === 0x7f || (bytesOnly && code > 0x7f)) return hex(code);
  return String.fromCharCode(code);
}

/** A regex literal that lexes back to exactly `pattern`: quoted when it has no `"`, else raw with enough `#`. */
export function printRegex(pattern: string): string {
  if (!pattern.includes('"')) return `"${pattern}"`;
  for (let hashes = 1; hashes <= MAX_RAW_HASHES; hashes++) {
    const fence = '#'.repeat(hashes);
    if (!pattern.includes(`"${fence}`)) return `r${fence}"${pattern}"${fence}`;
  }
  // Unreachable for patterns under MAX_REGEX_LENGTH that came from the parser short of 255 `#` after a quote.
  return `"${pattern.replaceAll('"', '\\"')}"`;
}

function printSetItem(item: SetItem): string {
  switch (item.type) {
    case 'string':
      return printString(item.value);
    case 'int':
      return String(item.value);
    case 'int_range':
      return `${item.from}..${item.to}`;
    case 'ip':
    case 'cidr':
      return item.value;
    case 'ip_range':
      return `${item.from}..${item.to}`;
  }
}

function printOperand(operand: ComparisonOperand): string {
  switch (operand.type) {
    case 'regex':
      return printRegex(operand.pattern);
    case 'set':
      return `{${operand.items.map(printSetItem).join(' ')}}`;
    default:
      return printSetItem(operand);
  }
}

function printArgument(argument: Argument): string {
  switch (argument.type) {
    case 'field':
    case 'call':
    case 'key':
    case 'index':
    case 'expand':
      return printValue(argument);
    case 'string':
      return printString(argument.value);
    case 'int':
      return String(argument.value);
    default:
      return print(argument, 0);
  }
}

export function printValue(value: ValueExpression): string {
  switch (value.type) {
    case 'field':
      return value.name;
    case 'call':
      return `${value.name}(${value.args.map(printArgument).join(', ')})`;
    case 'key':
      return `${printValue(value.target)}[${printString(value.key)}]`;
    case 'index':
      return `${printValue(value.target)}[${value.index}]`;
    case 'expand':
      return `${printValue(value.target)}[*]`;
  }
}

function print(expression: Expression, context: number): string {
  switch (expression.type) {
    case 'boolean':
      return String(expression.value);
    case 'predicate':
      return printValue(expression.value);
    case 'comparison':
      return `${printValue(expression.left)} ${expression.operator} ${printOperand(expression.right)}`;
    case 'not':
      return `not ${print(expression.operand, PRECEDENCE.not)}`;
    case 'logical': {
      const own = PRECEDENCE[expression.operator];
      // Operands bind tighter than this operator or get parentheses (same-operator operands included).
      const text = expression.operands.map((operand) => print(operand, own + 1)).join(` ${expression.operator} `);
      return own < context ? `(${text})` : text;
    }
  }
}

/** printExpression: the canonical text of an expression AST. */
export function printExpression(expression: Expression): string {
  return print(expression, 0);
}
