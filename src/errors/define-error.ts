/**
 * defineError: one entry of the error registry. Every error the gateway emits (data-plane denials,
 * upstream failures, refused configuration) is made from one of these, so its code, HTTP status,
 * v4 numeric code and process exit code are stable and documented in docs/reference/errors.md.
 */

/** Brand that survives duplicate installs of this package (undici `lib/core/errors.js`). */
const kGatewayError = Symbol.for('portcullis.error');

export interface ErrorDefinition {
  /** Stable string code, `GW_ERR_<AREA>_<WHAT>`. Never reused for another meaning. */
  readonly code: string;
  /** Message template; `%s` is replaced by the detail given at creation. Safe for clients. */
  readonly message: string;
  /** HTTP status used when the error is answered over HTTP. */
  readonly httpStatus: number;
  /** Numeric code in the Cloudflare v4 envelope (`errors[].code`), from our documented ranges. */
  readonly v4Code: number;
  /**
   * Process exit code when the error ends the CLI: 1 runtime, 2 usage, 3 configuration refused.
   * Undefined for errors that only ever answer requests (they end nothing; 1 if one ever does).
   */
  readonly exitCode: 1 | 2 | 3 | undefined;
  /** Creates an error of this kind. `detail` fills `%s`; `cause` is for logs only. */
  create(detail?: string, cause?: unknown): GatewayError;
}

export class GatewayError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly v4Code: number;
  readonly exitCode: 1 | 2 | 3;

  constructor(definition: Omit<ErrorDefinition, 'create'>, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'GatewayError';
    this.code = definition.code;
    this.httpStatus = definition.httpStatus;
    this.v4Code = definition.v4Code;
    this.exitCode = definition.exitCode ?? 1;
  }

  get [kGatewayError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kGatewayError] === true;
  }
}

export function defineError(
  code: string,
  message: string,
  httpStatus: number,
  v4Code: number,
  exitCode?: 1 | 2 | 3,
): ErrorDefinition {
  const definition = { code, message, httpStatus, v4Code, exitCode };
  return Object.freeze({
    ...definition,
    create(detail?: string, cause?: unknown): GatewayError {
      const text = message.includes('%s') ? message.replace('%s', detail ?? '') : message;
      return new GatewayError(definition, text, cause);
    },
  });
}
