/**
 * Regex program: a regex tree compiled to a Thompson NFA (Thompson 1968; Cox, "Regular Expression Matching Can
 * Be Simple And Fast", 2007) held in typed arrays. Counted repetitions are unrolled, so the program size is what
 * MAX_REGEX_PROGRAM_SIZE caps (Rust's regex crate has the same kind of `size_limit`); compile work is capped too,
 * so `((a{1000}){1000})…` is refused quickly instead of being unrolled.
 *
 *   SET s      consume one byte in set s, go to pc+1
 *   SPLIT a b  continue at a and at b
 *   JUMP a     continue at a
 *   ASSERT k   continue at pc+1 if assertion k holds between the previous and the next byte
 *   MATCH      the pattern matched
 */
import { MAX_REGEX_PROGRAM_SIZE } from '../limits.ts';
import { byteSetKey, type ByteSet } from './byte-set.ts';
import { RegexSyntaxError, type Assertion, type RegexNode } from './regex-syntax.ts';

export const OP_SET = 0;
export const OP_SPLIT = 1;
export const OP_JUMP = 2;
export const OP_ASSERT = 3;
export const OP_MATCH = 4;

export const ASSERTIONS: readonly Assertion[] = [
  'text_start',
  'text_end',
  'line_start',
  'line_end',
  'word_boundary',
  'not_word_boundary',
];

export interface RegexProgram {
  readonly ops: Uint8Array;
  readonly arg1: Int32Array;
  readonly arg2: Int32Array;
  readonly sets: readonly ByteSet[];
  /** Every match must start at the beginning of the input (`^…` without `m`, or `\A…`). */
  readonly anchoredStart: boolean;
  readonly usesWordBoundary: boolean;
  readonly usesLineAnchors: boolean;
}

/** Compile steps allowed per program instruction: bounds unrolling of repetitions of empty groups. */
const WORK_PER_INSTRUCTION = 16;

class ProgramBuilder {
  readonly ops: number[] = [];
  readonly arg1: number[] = [];
  readonly arg2: number[] = [];
  readonly sets: ByteSet[] = [];
  readonly #setIds = new Map<string, number>();
  #work = 0;
  usesWordBoundary = false;
  usesLineAnchors = false;

  get pc(): number {
    return this.ops.length;
  }

  emit(op: number, first = 0, second = 0): number {
    if (this.ops.length >= MAX_REGEX_PROGRAM_SIZE) this.#tooLarge();
    this.ops.push(op);
    this.arg1.push(first);
    this.arg2.push(second);
    return this.ops.length - 1;
  }

  #tooLarge(): never {
    throw new RegexSyntaxError(0, `regex too large: it compiles to more than ${MAX_REGEX_PROGRAM_SIZE} instructions`);
  }

  #setId(set: ByteSet): number {
    const key = byteSetKey(set);
    let id = this.#setIds.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(set);
      this.#setIds.set(key, id);
    }
    return id;
  }

  compile(node: RegexNode): void {
    if (++this.#work > MAX_REGEX_PROGRAM_SIZE * WORK_PER_INSTRUCTION) this.#tooLarge();
    switch (node.kind) {
      case 'empty':
        return;
      case 'bytes':
        this.emit(OP_SET, this.#setId(node.set));
        return;
      case 'concat':
        for (const item of node.items) this.compile(item);
        return;
      case 'alternate':
        this.#alternate(node.items);
        return;
      case 'repeat':
        this.#repeat(node.item, node.min, node.max);
        return;
      case 'assert':
        if (node.assertion === 'word_boundary' || node.assertion === 'not_word_boundary') this.usesWordBoundary = true;
        if (node.assertion === 'line_start' || node.assertion === 'line_end') this.usesLineAnchors = true;
        this.emit(OP_ASSERT, ASSERTIONS.indexOf(node.assertion));
        return;
    }
  }

  #alternate(items: readonly RegexNode[]): void {
    const jumps: number[] = [];
    for (let i = 0; i < items.length - 1; i++) {
      const split = this.emit(OP_SPLIT, this.pc + 1);
      this.compile(items[i] as RegexNode);
      jumps.push(this.emit(OP_JUMP));
      this.arg2[split] = this.pc;
    }
    this.compile(items[items.length - 1] as RegexNode);
    for (const jump of jumps) this.arg1[jump] = this.pc;
  }

  #repeat(item: RegexNode, min: number, max: number): void {
    if (max === -1) {
      if (min === 0) {
        const split = this.emit(OP_SPLIT, this.pc + 1);
        this.compile(item);
        this.emit(OP_JUMP, split);
        this.arg2[split] = this.pc;
        return;
      }
      for (let i = 0; i < min - 1; i++) this.compile(item);
      const loop = this.pc;
      this.compile(item);
      this.emit(OP_SPLIT, loop, this.pc + 1);
      return;
    }
    for (let i = 0; i < min; i++) this.compile(item);
    const splits: number[] = [];
    for (let i = min; i < max; i++) {
      splits.push(this.emit(OP_SPLIT, this.pc + 1));
      this.compile(item);
    }
    for (const split of splits) this.arg2[split] = this.pc;
  }
}

function anchoredStart(node: RegexNode): boolean {
  switch (node.kind) {
    case 'assert':
      return node.assertion === 'text_start';
    case 'concat':
      for (const item of node.items) {
        if (item.kind !== 'empty') return anchoredStart(item);
      }
      return false;
    case 'alternate':
      return node.items.every(anchoredStart);
    case 'repeat':
      return node.min >= 1 && anchoredStart(node.item);
    default:
      return false;
  }
}

/** Throws RegexSyntaxError when the program would exceed the size limit. */
export function compileRegexProgram(node: RegexNode): RegexProgram {
  const builder = new ProgramBuilder();
  builder.compile(node);
  builder.emit(OP_MATCH);
  return {
    ops: Uint8Array.from(builder.ops),
    arg1: Int32Array.from(builder.arg1),
    arg2: Int32Array.from(builder.arg2),
    sets: builder.sets,
    anchoredStart: anchoredStart(node),
    usesWordBoundary: builder.usesWordBoundary,
    usesLineAnchors: builder.usesLineAnchors,
  };
}
