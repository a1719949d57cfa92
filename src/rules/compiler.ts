/**
 * Compiler: checked AST → one closure `(context: RuleContext) => boolean`, built ONCE when a ruleset snapshot is
 * made and then called per request. Everything derivable from the expression is computed here (regex automata,
 * wildcard segments, IP ranges, string sets, field readers), so evaluation only reads fields and compares:
 * no parsing, no per-request allocation on the common paths (`[*]` inside any/all walks arrays in place;
 * lower/upper/concat allocate only when they change their input). `and`/`or` short-circuit; `xor` needs all.
 * Nesting depth is bounded by the parser, so so is the closure depth.
 */
import type { Comparison, Expression, ValueExpression } from './ast.ts';
import { compileFoldedTest, compileTest, type ValueTest } from './compile-comparison.ts';
import { ValueCompiler } from './compile-value.ts';
import type { CompiledValue } from './compiled-value.ts';
import type { RuleContext } from './rule-context.ts';

/** A compiled rule's test of one request. */
export type RulePredicate = (context: RuleContext) => boolean;

export interface CompiledPredicate {
  readonly evaluate: RulePredicate;
  /** Field names the expression reads, in first-use order (e.g. to skip computing unused context values). */
  readonly fields: readonly string[];
}

const ALWAYS: RulePredicate = () => true;
const NEVER: RulePredicate = () => false;

function combineAnd(predicates: readonly RulePredicate[]): RulePredicate {
  if (predicates.length === 2) {
    const [a, b] = predicates as [RulePredicate, RulePredicate];
    return (context) => a(context) && b(context);
  }
  return (context) => {
    for (let i = 0; i < predicates.length; i++) if (!(predicates[i] as RulePredicate)(context)) return false;
    return true;
  };
}

function combineOr(predicates: readonly RulePredicate[]): RulePredicate {
  if (predicates.length === 2) {
    const [a, b] = predicates as [RulePredicate, RulePredicate];
    return (context) => a(context) || b(context);
  }
  return (context) => {
    for (let i = 0; i < predicates.length; i++) if ((predicates[i] as RulePredicate)(context)) return true;
    return false;
  };
}

function combineXor(predicates: readonly RulePredicate[]): RulePredicate {
  return (context) => {
    let result = false;
    for (let i = 0; i < predicates.length; i++) result = result !== (predicates[i] as RulePredicate)(context);
    return result;
  };
}

/**
 * The value under an outer `lower()`: `lower(x)` → `x`, and `lower(a[*])[*]` → `a[*]` (the expanded form
 * element by element). Undefined when the left side is not lowered.
 */
function withoutLower(left: ValueExpression): ValueExpression | undefined {
  if (left.type === 'call' && left.name === 'lower') {
    const argument = left.args[0];
    return argument?.type === 'field' ||
      argument?.type === 'call' ||
      argument?.type === 'key' ||
      argument?.type === 'index'
      ? argument
      : undefined;
  }
  if (left.type === 'expand' && left.target.type === 'call' && left.target.name === 'lower') {
    const argument = left.target.args[0];
    return argument?.type === 'expand' ? argument : undefined;
  }
  return undefined;
}

class ExpressionCompiler {
  readonly values = new ValueCompiler((expression) => this.array(expression));

  predicate(expression: Expression): RulePredicate {
    switch (expression.type) {
      case 'boolean':
        return expression.value ? ALWAYS : NEVER;
      case 'not': {
        const operand = this.predicate(expression.operand);
        return (context) => !operand(context);
      }
      case 'logical': {
        const operands = expression.operands.map((operand) => this.predicate(operand));
        if (expression.operator === 'and') return combineAnd(operands);
        if (expression.operator === 'or') return combineOr(operands);
        return combineXor(operands);
      }
      case 'predicate': {
        const value = this.values.compile(expression.value);
        if (value.form !== 'scalar') throw new TypeError('an array used as a condition in a checked AST');
        const read = value.read;
        return (context) => read(context) === true;
      }
      case 'comparison': {
        const { left, test } = this.#comparison(expression);
        if (left.form !== 'scalar') throw new TypeError('an expanded comparison used as a condition in a checked AST');
        const read = left.read;
        return (context) => test(read(context));
      }
    }
  }

  /** The left side and the test of a comparison, with `lower(…)` folded into the test where that is exact. */
  #comparison(expression: Comparison): { left: CompiledValue; test: ValueTest } {
    const unlowered = withoutLower(expression.left);
    const folded = unlowered === undefined ? undefined : compileFoldedTest(expression);
    if (unlowered !== undefined && folded !== undefined) return { left: this.values.compile(unlowered), test: folded };
    return { left: this.values.compile(expression.left), test: compileTest(expression) };
  }

  /** An Array<Bool> expression: a comparison whose left side is expanded, or an array-valued predicate. */
  array(expression: Expression): CompiledValue {
    if (expression.type === 'predicate') return this.values.compile(expression.value);
    if (expression.type !== 'comparison') throw new TypeError('any()/all() of a non-array in a checked AST');
    const { left, test } = this.#comparison(expression);
    if (left.form !== 'mapped') throw new TypeError('any()/all() of a non-expanded comparison in a checked AST');
    const element = left.element;
    return {
      form: 'lazy',
      source: left.source,
      element: element === undefined ? test : (value, context) => test(element(value, context)),
    };
  }
}

/** compilePredicate: the closure of a checked AST (from parseExpression). */
export function compilePredicate(expression: Expression): CompiledPredicate {
  const compiler = new ExpressionCompiler();
  const evaluate = compiler.predicate(expression);
  return { evaluate, fields: [...compiler.values.fields] };
}
