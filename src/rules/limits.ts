/**
 * Limits of the rules language. Each one bounds a cost an expression author could otherwise make unbounded:
 * parse recursion (nesting), compile time and memory (expression and regex size), and evaluation time (regexes
 * run on a linear-time automaton whose per-byte cost grows with the compiled size). docs/reference/rules-language.md
 * lists them for users; changing one is a documented change.
 */

/** Cloudflare's limit on `expression` (cloudflare-compatibility.md §6.2), in UTF-16 code units as JSON counts them. */
export const MAX_EXPRESSION_LENGTH = 4096;

/** Parentheses, `not` and function calls nested deeper than this are refused (no stack overflow, ever). */
export const MAX_NESTING_DEPTH = 64;

/** A regex pattern longer than this is refused. */
export const MAX_REGEX_LENGTH = 1024;

/** Instructions of a compiled regex (Rust's regex crate has an equivalent `size_limit`). */
export const MAX_REGEX_PROGRAM_SIZE = 4096;

/** Largest count in `{n}`, `{n,}`, `{n,m}`. */
export const MAX_REGEX_REPEAT = 1000;

/** Groups and classes nested inside a regex. */
export const MAX_REGEX_NESTING = 64;

/** `matches` operators in one expression: each keeps its own automaton cache. */
export const MAX_REGEXES_PER_EXPRESSION = 32;

/** States cached per regex automaton before the cache is flushed (evaluation stays linear either way). */
export const MAX_REGEX_CACHED_STATES = 512;
