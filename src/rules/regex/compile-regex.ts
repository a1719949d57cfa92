/**
 * compileRegex: pattern text → a linear-time matcher, enforcing the length and size limits. The parser calls it
 * to validate (so a bad or oversized pattern is a GW_ERR_RULE_REGEX error with its position), the compiler to
 * build the matcher a rule keeps.
 */
import { MAX_REGEX_LENGTH } from '../limits.ts';
import { compileRegexProgram, type RegexProgram } from './regex-program.ts';
import { RegexMatcher } from './regex-matcher.ts';
import { parseRegex, RegexSyntaxError } from './regex-syntax.ts';

export { RegexSyntaxError } from './regex-syntax.ts';
export type { RegexMatcher } from './regex-matcher.ts';

/** Validates a pattern and returns its program; throws RegexSyntaxError. */
export function checkRegex(pattern: string): RegexProgram {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw new RegexSyntaxError(MAX_REGEX_LENGTH, `regex is longer than ${MAX_REGEX_LENGTH} characters`);
  }
  try {
    return compileRegexProgram(parseRegex(pattern));
  } catch (error) {
    if (error instanceof RegexSyntaxError && error.offset === 0 && error.message.startsWith('regex too large')) {
      throw new RegexSyntaxError(0, error.message, Math.max(1, pattern.length));
    }
    throw error;
  }
}

/** Throws RegexSyntaxError. */
export function compileRegex(pattern: string): RegexMatcher {
  return new RegexMatcher(checkRegex(pattern));
}
