/**
 * Connection limits of the TLS listener of `portcullis proxy` and `portcullis serve`
 * (`--max-connections`, `--max-connections-per-client`, `--first-request-timeout`); how they are
 * enforced: data-plane/listeners/connection-gate.ts; why these defaults: docs/adr/0012.
 */
import { GW_ERR_USAGE } from '../errors/index.ts';
import { parseDuration } from './duration.ts';

export interface ConnectionLimits {
  /** Connections open at once, every client together; 0: no cap. Excess ones are closed at accept. */
  readonly maxConnections: number;
  /** Connections open at once from one client (an IPv4 address, an IPv6 /64); 0: no cap. */
  readonly maxConnectionsPerClient: number;
  /** A connection that has not sent a whole request head this long after its TLS handshake is closed. */
  readonly firstRequestTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  maxConnections: 10_000,
  maxConnectionsPerClient: 256,
  firstRequestTimeoutMs: 10_000, // 10 seconds
});

/** The largest cap a flag accepts (far above what one Node process can hold open). */
export const MAX_CONNECTION_CAP = 1_000_000;

/** The flags as the command line gives them (strings); absent ones take the defaults. */
export interface ConnectionLimitsInput {
  maxConnections?: string;
  maxConnectionsPerClient?: string;
  firstRequestTimeout?: string;
}

export function parseConnectionLimits(input: ConnectionLimitsInput): ConnectionLimits {
  const defaults = DEFAULT_CONNECTION_LIMITS;
  return {
    maxConnections: parseCap(input.maxConnections, '--max-connections', defaults.maxConnections),
    maxConnectionsPerClient: parseCap(
      input.maxConnectionsPerClient,
      '--max-connections-per-client',
      defaults.maxConnectionsPerClient,
    ),
    firstRequestTimeoutMs:
      input.firstRequestTimeout === undefined
        ? defaults.firstRequestTimeoutMs
        : parseDuration(input.firstRequestTimeout, '--first-request-timeout'),
  };
}

function parseCap(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = /^\d{1,7}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= MAX_CONNECTION_CAP)) {
    throw GW_ERR_USAGE.create(`${option} takes a number of connections from 0 (no cap) to ${MAX_CONNECTION_CAP}`);
  }
  return value;
}
