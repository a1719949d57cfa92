/**
 * Compiles value expressions (fields, `[n]`, `["key"]`, `[*]`, function calls) to readers and pipelines
 * (compiled-value.ts). Runs once per rule; the closures it returns are what runs per request.
 */
import type { Argument, Expression, FunctionCall, ValueExpression } from './ast.ts';
import { asciiLower, asciiUpper } from './byte-string.ts';
import { compose, everyTrue, someTrue, toReader, type CompiledValue, type Reader } from './compiled-value.ts';
import { findField } from './fields.ts';
import type { RuleContext } from './rule-context.ts';

/** Compiles an expression of type Array<Bool> (the argument of any/all); provided by compiler.ts. */
export type ArrayExpressionCompiler = (expression: Expression) => CompiledValue;

type Apply = (first: unknown, context: RuleContext) => unknown;

const HEADERS_FIELD = 'http.request.headers';

function readField(name: string, fields: Set<string>): Reader {
  const definition = findField(name);
  if (definition === undefined) throw new TypeError(`unknown field in a checked AST: ${name}`);
  fields.add(name);
  return definition.read;
}

export class ValueCompiler {
  readonly fields = new Set<string>();
  readonly #compileArray: ArrayExpressionCompiler;

  constructor(compileArray: ArrayExpressionCompiler) {
    this.#compileArray = compileArray;
  }

  compile(node: ValueExpression): CompiledValue {
    switch (node.type) {
      case 'field':
        return { form: 'scalar', read: readField(node.name, this.fields) };
      case 'expand':
        return this.#expand(node.target);
      case 'index': {
        const index = node.index;
        return this.#access(node.target, (value) => (Array.isArray(value) ? (value[index] as unknown) : undefined));
      }
      case 'key': {
        const key = node.key;
        if (node.target.type === 'field' && node.target.name === HEADERS_FIELD) return this.#header(key);
        return this.#access(node.target, (value) =>
          value !== undefined && Object.hasOwn(value as object, key)
            ? (value as Record<string, unknown>)[key]
            : undefined,
        );
      }
      case 'call':
        return this.#call(node);
    }
  }

  #expand(target: ValueExpression): CompiledValue {
    const compiled = this.compile(target);
    if (compiled.form === 'lazy') return { form: 'mapped', source: compiled.source, element: compiled.element };
    const kind = target.type === 'field' && findField(target.name)?.type.kind === 'Map' ? 'map' : 'array';
    return { form: 'mapped', source: { kind, read: toReader(compiled) }, element: undefined };
  }

  /** `http.request.headers["name"]`: one header through the context's `header()`, the map only without it. */
  #header(name: string): CompiledValue {
    this.fields.add(HEADERS_FIELD);
    return {
      form: 'scalar',
      read: (context) => {
        const request = context.request;
        if (request.header !== undefined) return request.header(name);
        const headers = request.headers;
        return Object.hasOwn(headers, name) ? headers[name] : undefined;
      },
    };
  }

  /** `[n]` / `["key"]`: per element when the target is expanded, else on the value. */
  #access(target: ValueExpression, get: (value: unknown) => unknown): CompiledValue {
    const compiled = this.compile(target);
    if (compiled.form === 'mapped') {
      return { form: 'mapped', source: compiled.source, element: compose(compiled.element, get) };
    }
    const read = toReader(compiled);
    return { form: 'scalar', read: (context) => get(read(context)) };
  }

  #argument(argument: Argument): Reader {
    if (argument.type === 'string' || argument.type === 'int') {
      const constant = argument.value;
      return () => constant;
    }
    return toReader(this.compile(argument as ValueExpression));
  }

  #call(node: FunctionCall): CompiledValue {
    const [firstArgument, ...rest] = node.args;
    if (firstArgument === undefined) throw new TypeError(`${node.name}() without arguments in a checked AST`);
    if (node.name === 'any' || node.name === 'all') {
      const array = this.#compileArray(firstArgument as Expression);
      const quantifier = node.name === 'any' ? someTrue : everyTrue;
      if (array.form === 'scalar') {
        const whole = { kind: 'array', read: array.read } as const;
        return { form: 'scalar', read: (context) => quantifier(whole, undefined, context) };
      }
      const { source, element } = array;
      return { form: 'scalar', read: (context) => quantifier(source, element, context) };
    }
    const apply = this.#apply(node.name, rest);
    const first =
      firstArgument.type === 'string' || firstArgument.type === 'int'
        ? ({ form: 'scalar', read: this.#argument(firstArgument) } as const)
        : this.compile(firstArgument as ValueExpression);
    if (first.form === 'mapped') return { form: 'lazy', source: first.source, element: compose(first.element, apply) };
    const read = toReader(first);
    return { form: 'scalar', read: (context) => apply(read(context), context) };
  }

  /** The function applied to its first argument (the others are read from the context). */
  #apply(name: FunctionCall['name'], rest: readonly Argument[]): Apply {
    switch (name) {
      case 'lower':
        return (value) => (typeof value === 'string' ? asciiLower(value) : undefined);
      case 'upper':
        return (value) => (typeof value === 'string' ? asciiUpper(value) : undefined);
      case 'len':
        return (value) => (typeof value === 'string' || Array.isArray(value) ? value.length : undefined);
      case 'starts_with':
      case 'ends_with': {
        const affix = rest[0]?.type === 'string' ? rest[0].value : '';
        return name === 'starts_with'
          ? (value) => (typeof value === 'string' ? value.startsWith(affix) : undefined)
          : (value) => (typeof value === 'string' ? value.endsWith(affix) : undefined);
      }
      case 'concat':
        return this.#concat(rest.map((argument) => this.#argument(argument)));
      default:
        throw new TypeError(`${name}() is compiled elsewhere`);
    }
  }

  #concat(readers: readonly Reader[]): Apply {
    return (first, context) => {
      if (typeof first === 'string') {
        let text = first;
        for (const read of readers) {
          const value = read(context);
          if (typeof value !== 'string') return undefined;
          text += value;
        }
        return text;
      }
      if (!Array.isArray(first)) return undefined;
      const items: unknown[] = [...(first as unknown[])];
      for (const read of readers) {
        const value = read(context);
        if (!Array.isArray(value)) return undefined;
        items.push(...(value as unknown[]));
      }
      return items;
    };
  }
}
