/**
 * RuleError: the one error type the rules engine throws. Every syntax, name, type, regex or limit error in an
 * expression carries a stable code, a one-line `reason` in wirefilter's "expected …, found …" style, and the
 * 0-based character `position` it refers to, so the rulesets API can answer 400 with a message that points at
 * the mistake (docs/reference/rules-language.md, "Errors").
 *
 * It is a GatewayError, so the admin API renders it like any registry error (codes from src/errors/codes.ts).
 */
import {
  GatewayError,
  GW_ERR_RULE_LIMIT,
  GW_ERR_RULE_REGEX,
  GW_ERR_RULE_SYNTAX,
  GW_ERR_RULE_TYPE,
  GW_ERR_RULE_UNKNOWN_NAME,
  type ErrorDefinition,
} from '../errors/index.ts';

export type RuleErrorCode =
  'GW_ERR_RULE_SYNTAX' | 'GW_ERR_RULE_UNKNOWN_NAME' | 'GW_ERR_RULE_TYPE' | 'GW_ERR_RULE_REGEX' | 'GW_ERR_RULE_LIMIT';

/** The registry entries (src/errors/codes.ts) behind each rule error code. */
export const RULE_ERROR_DEFINITIONS: Readonly<Record<RuleErrorCode, ErrorDefinition>> = Object.freeze({
  GW_ERR_RULE_SYNTAX,
  GW_ERR_RULE_UNKNOWN_NAME,
  GW_ERR_RULE_TYPE,
  GW_ERR_RULE_REGEX,
  GW_ERR_RULE_LIMIT,
});

/** Brand that survives duplicate installs; GatewayError's own hasInstance would match every gateway error. */
const kRuleError = Symbol.for('portcullis.rule-error');

/** Characters of the offending line shown either side of the caret in `excerpt`. */
const EXCERPT_RADIUS = 40;

export class RuleError extends GatewayError {
  declare readonly code: RuleErrorCode;
  /** One line, what was expected and what was found: `expected a value after "eq", found end of input`. */
  readonly reason: string;
  /** 0-based offset in the expression (UTF-16 code units); the expression's length for "end of input". */
  readonly position: number;
  /** How many characters the error covers (at least 1, for the caret). */
  readonly length: number;
  /** 1-based line and column of `position`, as wirefilter prints them. */
  readonly line: number;
  readonly column: number;
  /** wirefilter's three-line form: header, the offending line (clipped), a caret line with the reason. */
  readonly excerpt: string;

  constructor(code: RuleErrorCode, reason: string, source: string, position: number, length = 1) {
    const location = locate(source, position);
    const { line, column } = location;
    super(RULE_ERROR_DEFINITIONS[code], `Filter parsing error (${line}:${column}): ${reason}`);
    this.name = 'RuleError';
    this.reason = reason;
    this.position = position;
    this.length = Math.max(1, length);
    this.line = line;
    this.column = column;
    this.excerpt = renderExcerpt(source, { ...location, position, length: this.length, reason });
  }

  get [kRuleError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kRuleError] === true;
  }
}

/** 1-based line and column of a 0-based offset, as `line:column`. */
export function lineAndColumn(source: string, position: number): string {
  const { line, column } = locate(source, position);
  return `${line}:${column}`;
}

/** Where an offset falls: its 1-based line and column and the bounds of its line in the source. */
interface SourceLocation {
  readonly line: number;
  readonly column: number;
  readonly lineStart: number;
  readonly lineEnd: number;
}

/** What the excerpt points at: the location, the span the caret covers and the reason printed after it. */
interface ExcerptSpan extends SourceLocation {
  readonly position: number;
  readonly length: number;
  readonly reason: string;
}

function locate(source: string, position: number): SourceLocation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const newline = source.indexOf('\n', lineStart);
  return { line, column: position - lineStart + 1, lineStart, lineEnd: newline < 0 ? source.length : newline };
}

function renderExcerpt(source: string, span: ExcerptSpan): string {
  const { position, length, lineStart, lineEnd, line, column, reason } = span;
  const from = Math.max(lineStart, position - EXCERPT_RADIUS);
  const to = Math.min(lineEnd, position + length + EXCERPT_RADIUS);
  const head = from > lineStart ? '…' : '';
  const tail = to < lineEnd ? '…' : '';
  const caretCount = Math.max(1, Math.min(length, lineEnd - position, EXCERPT_RADIUS));
  const pad = ' '.repeat(head.length + position - from);
  return (
    `Filter parsing error (${line}:${column}):\n` +
    `${head}${source.slice(from, to)}${tail}\n` +
    `${pad}${'^'.repeat(caretCount)} ${reason}\n`
  );
}

/** Describes a piece of source for a reason: `"and"`, `end of input`. Never contains a newline. */
export function describeFound(text: string | undefined): string {
  if (text === undefined || text.length === 0) return 'end of input';
  return quote(text);
}

/**
 * `"text"` for a reason, as the user wrote it: backslashes and quotes stay as they are (so `\q` reads `"\q"`),
 * control characters become escapes (a reason is one line), long text is clipped.
 */
export function quote(text: string): string {
  const clipped = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  // eslint-disable-next-line no-control-regex
  const visible = clipped.replace(/[\x00-\x1f\x7f]/g, (char) => JSON.stringify(char).slice(1, -1));
  return `"${visible}"`;
}
