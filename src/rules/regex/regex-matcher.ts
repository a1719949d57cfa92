/**
 * RegexMatcher: answers "does the pattern match anywhere in this input?" in time linear in the input, whatever
 * the pattern: a lazily built DFA over the NFA program (the approach of RE2 and Rust's regex crate). No
 * backtracking happens, so `(a+)+$`, `(a|a)*b` or `.*.*.*x` cost the same per byte as `abc`.
 *
 * A DFA state is the set of NFA instructions reached (before following assertions) plus the kind of the
 * previous byte (start / word / newline / other), which is all `^ $ \b \B` need. Transitions are cached in an
 * Int32Array indexed by state and byte class (bytes that no set or assertion tells apart share a class). A cache
 * miss costs one NFA step, O(program size); a hit one array read. When MAX_REGEX_CACHED_STATES states exist the
 * cache is flushed and rebuilt as needed, so memory stays bounded and time stays O(input × program) at worst.
 *
 * Not re-entrant (one scratch area per matcher), which is fine: evaluation is synchronous.
 */
import { MAX_REGEX_CACHED_STATES } from '../limits.ts';
import { hasByte, isWordByte } from './byte-set.ts';
import { OP_ASSERT, OP_JUMP, OP_MATCH, OP_SET, OP_SPLIT, type RegexProgram } from './regex-program.ts';

const KIND_START = 0;
const KIND_WORD = 1;
const KIND_NEWLINE = 2;
const KIND_OTHER = 3;
const KIND_END = 4;

const UNKNOWN = -1;
const MATCHED = -2;
const DEAD = -3;

const INITIAL_CAPACITY = 8;

/** A set of small integers with O(1) clear (Briggs & Torczon), for NFA state sets. */
class SparseSet {
  readonly dense: Int32Array;
  readonly #sparse: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.dense = new Int32Array(capacity);
    this.#sparse = new Int32Array(capacity);
  }

  has(value: number): boolean {
    const index = this.#sparse[value] as number;
    return index < this.size && this.dense[index] === value;
  }

  add(value: number): boolean {
    if (this.has(value)) return false;
    this.dense[this.size] = value;
    this.#sparse[value] = this.size++;
    return true;
  }
}

function holds(assertion: number, previous: number, next: number): boolean {
  switch (assertion) {
    case 0:
      return previous === KIND_START;
    case 1:
      return next === KIND_END;
    case 2:
      return previous === KIND_START || previous === KIND_NEWLINE;
    case 3:
      return next === KIND_END || next === KIND_NEWLINE;
    case 4:
      return (previous === KIND_WORD) !== (next === KIND_WORD);
    default:
      return (previous === KIND_WORD) === (next === KIND_WORD);
  }
}

export class RegexMatcher {
  readonly #program: RegexProgram;
  /** Byte → class; every byte of a class is in the same sets and of the same kind. */
  readonly #classOf = new Uint8Array(256);
  readonly #width: number;
  /** Kind of the bytes of each class. */
  readonly #kindOf: Uint8Array;
  /** `#member[set * width + class]`: the class's bytes are in the set. */
  readonly #member: Uint8Array;
  readonly #closure: SparseSet;
  readonly #next: SparseSet;
  readonly #stack: Int32Array;

  #kernels: Int32Array[] = [];
  #previous: number[] = [];
  #ids = new Map<string, number>();
  #table: Int32Array;
  #acceptsAtEnd: Int8Array;
  #generation = 0;

  constructor(program: RegexProgram) {
    this.#program = program;
    const representatives: number[] = [];
    const classIds = new Map<string, number>();
    for (let byte = 0; byte < 256; byte++) {
      const kind = this.#kindOfByte(byte);
      const key = `${kind}|${program.sets.map((set) => (hasByte(set, byte) ? '1' : '0')).join('')}`;
      let id = classIds.get(key);
      if (id === undefined) {
        id = representatives.length;
        representatives.push(byte);
        classIds.set(key, id);
      }
      this.#classOf[byte] = id;
    }
    const width = representatives.length;
    this.#width = width;
    this.#kindOf = Uint8Array.from(representatives, (byte) => this.#kindOfByte(byte));
    this.#member = new Uint8Array(program.sets.length * width);
    program.sets.forEach((set, s) => {
      representatives.forEach((byte, c) => {
        this.#member[s * width + c] = hasByte(set, byte) ? 1 : 0;
      });
    });
    const size = program.ops.length;
    this.#closure = new SparseSet(size);
    this.#next = new SparseSet(size);
    this.#stack = new Int32Array(size * 3 + 2);
    this.#table = new Int32Array(INITIAL_CAPACITY * width).fill(UNKNOWN);
    this.#acceptsAtEnd = new Int8Array(INITIAL_CAPACITY).fill(-1);
    this.#intern(Int32Array.of(0), KIND_START);
  }

  #kindOfByte(byte: number): number {
    if (this.#program.usesWordBoundary && isWordByte(byte)) return KIND_WORD;
    if (this.#program.usesLineAnchors && byte === 10) return KIND_NEWLINE;
    return KIND_OTHER;
  }

  /** True when the pattern matches somewhere in `input` (a byte string; chars above 255 read as 255). */
  test(input: string): boolean {
    const classOf = this.#classOf;
    const width = this.#width;
    let table = this.#table;
    let state = 0;
    for (let i = 0; i < input.length; i++) {
      const code = input.charCodeAt(i);
      const byteClass = classOf[code > 255 ? 255 : code] as number;
      let next = table[state * width + byteClass] as number;
      if (next === UNKNOWN) {
        next = this.#transition(state, byteClass);
        table = this.#table;
      }
      if (next < 0) return next === MATCHED;
      state = next;
    }
    return this.#matchesAtEnd(state);
  }

  #matchesAtEnd(state: number): boolean {
    let cached = this.#acceptsAtEnd[state] as number;
    if (cached < 0) {
      cached = this.#follow(this.#kernels[state] as Int32Array, this.#previous[state] as number, KIND_END) ? 1 : 0;
      this.#acceptsAtEnd[state] = cached;
    }
    return cached === 1;
  }

  /** Follows jumps, splits and assertions from `kernel` into #closure; true if MATCH is reached. */
  #follow(kernel: Int32Array, previous: number, next: number): boolean {
    const { ops, arg1, arg2 } = this.#program;
    const closure = this.#closure;
    const stack = this.#stack;
    closure.size = 0;
    let top = 0;
    let matched = false;
    for (let k = kernel.length - 1; k >= 0; k--) stack[top++] = kernel[k] as number;
    while (top > 0) {
      const pc = stack[--top] as number;
      if (!closure.add(pc)) continue;
      switch (ops[pc]) {
        case OP_JUMP:
          stack[top++] = arg1[pc] as number;
          break;
        case OP_SPLIT:
          stack[top++] = arg2[pc] as number;
          stack[top++] = arg1[pc] as number;
          break;
        case OP_ASSERT:
          if (holds(arg1[pc] as number, previous, next)) stack[top++] = pc + 1;
          break;
        case OP_MATCH:
          matched = true;
          break;
        default:
          break;
      }
    }
    return matched;
  }

  #transition(state: number, byteClass: number): number {
    const width = this.#width;
    const kind = this.#kindOf[byteClass] as number;
    if (this.#follow(this.#kernels[state] as Int32Array, this.#previous[state] as number, kind)) {
      this.#table[state * width + byteClass] = MATCHED;
      return MATCHED;
    }
    const { ops, arg1 } = this.#program;
    const closure = this.#closure;
    const next = this.#next;
    next.size = 0;
    for (let k = 0; k < closure.size; k++) {
      const pc = closure.dense[k] as number;
      if (ops[pc] === OP_SET && this.#member[(arg1[pc] as number) * width + byteClass] === 1) next.add(pc + 1);
    }
    if (!this.#program.anchoredStart) next.add(0);
    if (next.size === 0) {
      this.#table[state * width + byteClass] = DEAD;
      return DEAD;
    }
    const kernel = next.dense.slice(0, next.size).sort();
    const generation = this.#generation;
    const target = this.#intern(kernel, kind);
    if (generation === this.#generation) this.#table[state * width + byteClass] = target;
    return target;
  }

  #intern(kernel: Int32Array, previous: number): number {
    const key = `${previous}|${kernel.join(',')}`;
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    if (this.#kernels.length >= MAX_REGEX_CACHED_STATES) this.#flush();
    const id = this.#kernels.length;
    this.#kernels.push(kernel);
    this.#previous.push(previous);
    this.#ids.set(key, id);
    if (id >= this.#acceptsAtEnd.length) this.#grow();
    return id;
  }

  #grow(): void {
    const capacity = this.#acceptsAtEnd.length * 2;
    const table = new Int32Array(capacity * this.#width).fill(UNKNOWN);
    table.set(this.#table);
    this.#table = table;
    const accepts = new Int8Array(capacity).fill(-1);
    accepts.set(this.#acceptsAtEnd);
    this.#acceptsAtEnd = accepts;
  }

  /** Drops every cached state but the start state (id 0). */
  #flush(): void {
    this.#generation++;
    const startKernel = this.#kernels[0] as Int32Array;
    this.#kernels = [startKernel];
    this.#previous = [KIND_START];
    this.#ids = new Map([[`${KIND_START}|${startKernel.join(',')}`, 0]]);
    this.#table.fill(UNKNOWN);
    this.#acceptsAtEnd.fill(-1);
  }

  /** States currently cached (for tests of the cache bound). */
  get cachedStates(): number {
    return this.#kernels.length;
  }
}
