/**
 * Where an API validation error belongs in a form. The API names the offending value in its
 * message: schema errors as a dotted path (`Invalid request: validity_days must be …`), checked
 * bodies as a JSON pointer (`Invalid request: /rules/0/expression: Filter parsing error …`). Both
 * become a dotted path (`rules.0.expression`); a form maps it to its field.
 */
const VALIDATION_PREFIX = 'Invalid request: ';

export interface FieldError {
  /** Dotted path of the value, '' when the message names none. */
  readonly field: string;
  readonly message: string;
}

export function fieldOfError(message: string): FieldError {
  if (!message.startsWith(VALIDATION_PREFIX)) return { field: '', message };
  const detail = message.slice(VALIDATION_PREFIX.length);
  const pointer = /^(\/[^\s:]*):\s/.exec(detail);
  if (pointer?.[1] !== undefined) {
    const field = pointer[1].slice(1).split('/').map(unescapePointer).join('.');
    return { field, message };
  }
  const dotted = /^([A-Za-z_][\w.]*)\s/.exec(detail);
  if (dotted?.[1] !== undefined && dotted[1] !== 'body') return { field: dotted[1], message };
  return { field: '', message };
}

/** RFC 6901 §4. */
function unescapePointer(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}
