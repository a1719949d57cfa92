/**
 * Bench settings, read once from the environment so that a run is reproducible from its
 * command line alone (the report prints them). Every duration is bounded here.
 */

export interface BenchConfig {
  /** Measured seconds per phase. */
  seconds: number;
  /** Warm-up seconds per phase, run and discarded before the measured window. */
  warmupSeconds: number;
  /** Rounds over all targets; the report shows each target's median round. */
  rounds: number;
  /** How many times a phase disturbed by other programs is measured again. */
  noisyRetries: number;
  /** Concurrent connections of the load generator, in both phases. */
  connections: number;
  /** Which targets to run, in order. */
  targets: TargetName[];
  /** Which phases to run, in order. */
  phases: PhaseName[];
  /** Pin processes to cores with taskset (target on one core, load generator + upstream on the other). */
  pin: boolean;
  /** Nice value for the bench and everything it starts (negative = ahead of other programs; needs root). */
  nice: number;
  /** Core of the target under test. */
  targetCpu: number;
  /** Core shared by the load generator and the upstream. */
  driverCpu: number;
  /** Identity the proxies forward upstream: Envoy's x-forwarded-client-cert (Portcullis' default) or none. */
  forwardIdentity: 'xfcc' | 'none';
  /**
   * TLS session tickets of every target (BENCH_SESSION_TICKETS): 'on' (all defaults) or 'off'
   * (`--session-tickets off`, nginx `ssl_session_tickets off`, SSL_OP_NO_TICKET for node-bare).
   */
  sessionTickets: 'on' | 'off';
  /** Upstream implementation: 'raw' (node:net, prebuilt answer) or 'node-http'. */
  upstream: 'raw' | 'node-http';
  /** Extra node flags for the Node targets (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), for diagnosis only. */
  nodeArgs: string[];
  /** Highest TLS version the load generator offers. */
  tlsMaxVersion: 'TLSv1.2' | 'TLSv1.3';
  /**
   * Key-exchange groups the load generator offers (BENCH_TLS_GROUPS, e.g. "X25519"); unset = its
   * Node's default. Node 24 (OpenSSL 3.5) offers X25519MLKEM768 first, which OpenSSL 3.0 servers
   * (nginx on Debian 12) cannot pick: pin the group to compare the same handshake.
   */
  tlsGroups: string | undefined;
  /** Diagnosis: parts of gateway-1-host-dynamic-mtls left out, to see what each costs. */
  dynamicWithout: DynamicPart[];
  /**
   * Revocation indexes of gateway-1000-hosts: 'per-host' (what createHostPolicy does: each policy
   * copies the serials) or 'shared' (what-if: one index shared by every policy, built once).
   */
}

export const TARGET_NAMES = [
  'node-bare',
  'portcullis',
  'nginx',
  'gateway-1-host',
  'gateway-1000-hosts',
  'gateway-1-host-20-rules',
  'gateway-1-host-dynamic-mtls',
] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
export const PHASE_NAMES = ['keep-alive', 'handshake'] as const;
export const DYNAMIC_PARTS = ['rate-limit', 'analytics'] as const;
export type DynamicPart = (typeof DYNAMIC_PARTS)[number];
export type PhaseName = (typeof PHASE_NAMES)[number];

function numberFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return value;
}

function listFromEnv<T extends string>(variable: string, known: readonly T[]): T[] {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return [...known];
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(known as readonly string[]).includes(name)) {
      throw new Error(`${variable}: unknown ${JSON.stringify(name)} (known: ${known.join(', ')})`);
    }
  }
  return names as T[];
}

export function loadConfig(): BenchConfig {
  const identity = process.env.BENCH_FORWARD_IDENTITY ?? 'xfcc';
  if (identity !== 'none' && identity !== 'xfcc') throw new Error('BENCH_FORWARD_IDENTITY must be xfcc or none');
  const upstream = process.env.BENCH_UPSTREAM ?? 'raw';
  if (upstream !== 'raw' && upstream !== 'node-http') throw new Error('BENCH_UPSTREAM must be raw or node-http');
  const tickets = process.env.BENCH_SESSION_TICKETS ?? 'on';
  if (tickets !== 'on' && tickets !== 'off') throw new Error('BENCH_SESSION_TICKETS must be on or off');
  const tls = process.env.BENCH_TLS_MAX ?? 'TLSv1.3';
  if (tls !== 'TLSv1.2' && tls !== 'TLSv1.3') throw new Error('BENCH_TLS_MAX must be TLSv1.2 or TLSv1.3');
  return {
    seconds: numberFromEnv('BENCH_SECONDS', 8, 1, 300),
    warmupSeconds: numberFromEnv('BENCH_WARMUP_SECONDS', 3, 0, 60),
    rounds: Math.round(numberFromEnv('BENCH_ROUNDS', 1, 1, 20)),
    noisyRetries: Math.round(numberFromEnv('BENCH_NOISY_RETRIES', 2, 0, 10)),
    connections: Math.round(numberFromEnv('BENCH_CONNECTIONS', 50, 1, 1000)),
    targets: listFromEnv('BENCH_TARGETS', TARGET_NAMES),
    phases: listFromEnv('BENCH_PHASES', PHASE_NAMES),
    pin: process.env.BENCH_PIN !== '0',
    nice: Math.round(numberFromEnv('BENCH_NICE', 0, -20, 19)),
    targetCpu: Math.round(numberFromEnv('BENCH_TARGET_CPU', 1, 0, 1023)),
    driverCpu: Math.round(numberFromEnv('BENCH_DRIVER_CPU', 0, 0, 1023)),
    forwardIdentity: identity,
    sessionTickets: tickets,
    upstream,
    nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''),
    tlsMaxVersion: tls,
    tlsGroups:
      process.env.BENCH_TLS_GROUPS === undefined || process.env.BENCH_TLS_GROUPS === ''
        ? undefined
        : process.env.BENCH_TLS_GROUPS,
    dynamicWithout: process.env.BENCH_DYNAMIC_WITHOUT ? listFromEnv('BENCH_DYNAMIC_WITHOUT', DYNAMIC_PARTS) : [],
  };
}
