/**
 * Renders one run as markdown: the setup, a table per phase with the CPU of every party (so a
 * reader can see which core was the bottleneck), the ratios against the goals of issue 2
 * (keep-alive ≥ 0.5× nginx, handshakes/s ≥ 0.9× nginx), of issue 4 (1,000 hosts + 100,000
 * revocations ≥ 0.9× one host) and of issue 5 (20 rules ≥ 0.95× no rules), and each target's
 * start-up figures and memory.
 */
import type { BenchConfig, PhaseName, TargetName } from './config.ts';
import type { LoadJobResult } from './load-job.ts';
import type { MachineInfo } from './machine.ts';
import type { ProbeResult } from './probe.ts';
import type { MemorySample } from './proc-memory.ts';

export interface TargetOutcome {
  name: TargetName;
  description: string;
  version?: string;
  notes: string[];
  probe?: ProbeResult;
  /** Every round's result, per phase. */
  rounds: Record<PhaseName, LoadJobResult[]>;
  /** What the target reported at each round's start (RunningTarget.startup), if anything. */
  startup: Record<string, number>[];
  /** Memory of the target after each round's phases. */
  memory: MemorySample[];
  /** The median round of each phase. */
  keepAlive?: LoadJobResult;
  handshake?: LoadJobResult;
  /** Why the target was not run. */
  skipped?: string;
  /** Why the target failed. */
  failed?: string;
}

export interface ReportInput {
  date: Date;
  command: string;
  config: BenchConfig;
  machine: MachineInfo;
  layout: Layout;
  outcomes: TargetOutcome[];
}

/** Each phase's goal, where the issue sets one. */
interface Goals {
  keepAlive?: number;
  handshake?: number;
}

interface RatioRow {
  label: string;
  a: TargetName;
  b: TargetName;
  goals?: Goals;
}

/** Issue 2: Portcullis' proxy against nginx. */
const PROXY_RATIOS: readonly RatioRow[] = [
  { label: 'portcullis / nginx', a: 'portcullis', b: 'nginx', goals: { keepAlive: 0.5, handshake: 0.9 } },
  { label: 'portcullis / node-bare', a: 'portcullis', b: 'node-bare' },
  { label: 'nginx / node-bare', a: 'nginx', b: 'node-bare' },
];

/**
 * Issue 4: 1,000 hosts and 100,000 revocations within 10%; issue 5: 20 rules within 5%; issue 6:
 * dynamic mTLS + rate limit + analytics within 15% of keyless (keep-alive).
 */
const GATEWAY_RATIOS: readonly RatioRow[] = [
  {
    label: 'gateway-1000-hosts / gateway-1-host (issue 4)',
    a: 'gateway-1000-hosts',
    b: 'gateway-1-host',
    goals: { keepAlive: 0.9, handshake: 0.9 },
  },
  {
    label: 'gateway-1-host-20-rules / gateway-1-host (issue 5)',
    a: 'gateway-1-host-20-rules',
    b: 'gateway-1-host',
    goals: { keepAlive: 0.95, handshake: 0.95 },
  },
  {
    label: 'gateway-1-host-dynamic-mtls / gateway-1-host (issue 6)',
    a: 'gateway-1-host-dynamic-mtls',
    b: 'gateway-1-host',
    goals: { keepAlive: 0.85 },
  },
  { label: 'gateway-1-host / portcullis (serve vs proxy)', a: 'gateway-1-host', b: 'portcullis' },
];

/** Column titles of the start-up figures the targets report; other names are shown as they are. */
const FIGURE_LABELS: Record<string, string> = {
  hosts: 'hosts',
  revokedPerHost: 'revoked serials per host',
  rules: 'rules',
  snapshotBuildMs: 'snapshot build ms',
  policiesMs: 'of which host policies ms',
  rulesCompileMs: 'rules compile ms',
  primeMs: 'one handshake per host ms',
  rssMb: 'RSS when ready (all hosts touched) MiB',
  heapUsedMb: 'heap used after build MiB',
};
/** A core busier than this is taken as saturated. */
const SATURATED = 90;
/** CPU used outside the bench (percent of a core) above which a figure is flagged as disturbed. */
const NOISY = 15;

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const pct = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(0)}%`);

function errors(r: LoadJobResult): string {
  const parts = Object.entries(r.errors)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  // In the keep-alive phase every connection is opened before the window: any opened in it is a reconnection.
  if (r.mode === 'keep-alive' && r.connectionsOpened > 0) parts.push(`${r.connectionsOpened} reconnections`);
  return parts.length === 0 ? '0' : parts.join(', ');
}

/** Where each party ran: with pinning, the target alone on one core, load generator + upstream on the other. */
export interface Layout {
  pinned: boolean;
  targetCpu: number;
  driverCpu: number;
}

/** True when programs outside the bench used enough CPU during the window to skew the figure. */
export function isNoisy(r: LoadJobResult): boolean {
  return unattributedCpu(r) >= NOISY;
}

/** Which core limited this figure, from how busy each core was during the window. */
export function boundBy(r: LoadJobResult, layout: Layout): string {
  const busy = Object.values(r.coreBusy);
  const others = unattributedCpu(r);
  const noisy = others >= NOISY ? `; NOISY: ${others.toFixed(0)}% of a core used outside the bench` : '';
  if (!layout.pinned) {
    const mean = busy.reduce((a, b) => a + b, 0) / busy.length;
    return (mean >= SATURATED ? 'all cores busy' : 'no core saturated') + noisy;
  }
  const target = r.coreBusy[`cpu${layout.targetCpu}`] ?? NaN;
  const driver = r.coreBusy[`cpu${layout.driverCpu}`] ?? NaN;
  let verdict = 'no core saturated';
  if (target >= SATURATED && driver >= SATURATED) verdict = 'both cores (may be a lower bound)';
  else if (target >= SATURATED) verdict = 'target core';
  else if (driver >= SATURATED) verdict = 'driver core (lower bound)';
  return verdict + noisy;
}

function coreColumn(r: LoadJobResult, layout: Layout): string {
  if (!layout.pinned)
    return Object.values(r.coreBusy)
      .map((n) => pct(n))
      .join(' / ');
  return `${pct(r.coreBusy[`cpu${layout.targetCpu}`])} / ${pct(r.coreBusy[`cpu${layout.driverCpu}`])}`;
}

function spread(r: LoadJobResult): string {
  const full = r.perSecond.slice(0, Math.floor(r.seconds));
  if (full.length === 0) return '—';
  return `${fmt(Math.min(...full))}–${fmt(Math.max(...full))}`;
}

/** The rate the target would reach at 100% of its core, assuming CPU-bound linear scaling. */
export function projectedRate(r: LoadJobResult): number {
  const cpu = r.watchedCpu.target ?? NaN;
  return cpu > 0 ? r.perSecondRate / (cpu / 100) : NaN;
}

/** CPU used on the machine by nobody in the bench (other processes, unattributed kernel softirq work). */
export function unattributedCpu(r: LoadJobResult): number {
  const all = Object.values(r.coreBusy).reduce((a, b) => a + b, 0);
  return Math.max(0, all - (r.watchedCpu.bench ?? NaN));
}

function phaseTable(
  outcomes: TargetOutcome[],
  pick: 'keepAlive' | 'handshake',
  layout: Layout,
  rounds: number,
): string {
  const unit = pick === 'keepAlive' ? 'req/s' : 'handshakes/s';
  const cores = layout.pinned ? 'core busy: target / driver' : 'core busy';
  const multi = rounds > 1;
  const rows = [
    `| target | ${unit}${multi ? ' (median round)' : ''} | ${multi ? 'all rounds | ' : ''}per-second min–max | p50 ms | p99 ms | errors | target CPU | ${unit} at 100% target CPU | ` +
      `load-gen CPU (ELU) | upstream CPU | unattributed CPU | ${cores} | limited by |`,
    `|---|--:|${multi ? '--:|' : ''}--:|--:|--:|---|--:|--:|--:|--:|--:|--:|---|`,
  ];
  for (const o of outcomes) {
    const r = o[pick];
    if (r === undefined) continue;
    const extra = pick === 'handshake' && r.resumed > 0 ? ` (${r.resumed} RESUMED)` : '';
    const all = o.rounds[pick === 'keepAlive' ? 'keep-alive' : 'handshake']
      .map((x) => fmt(x.perSecondRate) + (isNoisy(x) ? '*' : ''))
      .join(' / ');
    rows.push(
      `| ${o.name} | **${fmt(r.perSecondRate)}** | ${multi ? `${all} | ` : ''}${spread(r)} | ${fmt(r.latency.p50, 2)} | ${fmt(r.latency.p99, 2)} | ` +
        `${errors(r)}${extra} | ${pct(r.watchedCpu.target)} | ${fmt(projectedRate(r))} | ` +
        `${pct(r.cpu.percentOfCore)} (${fmt(r.eventLoopUtilization, 2)}) | ` +
        `${o.name === 'node-bare' ? '—' : pct(r.watchedCpu.upstream)} | ${pct(unattributedCpu(r))} | ` +
        `${coreColumn(r, layout)} | ${boundBy(r, layout)} |`,
    );
  }
  return rows.join('\n');
}

function ratio(
  a: LoadJobResult | undefined,
  b: LoadJobResult | undefined,
  rate: (r: LoadJobResult) => number,
  goal?: number,
): string {
  if (a === undefined || b === undefined) return 'n/a';
  const value = rate(a) / rate(b);
  if (!Number.isFinite(value)) return 'n/a';
  // A measured rate from a disturbed window says little; the per-CPU-second figure still compares.
  const disturbed = rate === measuredRate && (isNoisy(a) || isNoisy(b));
  if (disturbed) return `${value.toFixed(2)}× (disturbed run: no verdict)`;
  if (goal === undefined) return `${value.toFixed(2)}×`;
  return `**${value.toFixed(2)}×** (goal ≥ ${goal}: ${value >= goal ? 'met' : 'NOT met'})`;
}

const measuredRate = (r: LoadJobResult): number => r.perSecondRate;

/** The ratio rows whose two targets both ran; null when none did. */
function ratioTable(outcomes: TargetOutcome[], rows: readonly RatioRow[]): string | null {
  const ran = (name: TargetName): TargetOutcome | undefined =>
    outcomes.find((o) => o.name === name && (o.keepAlive !== undefined || o.handshake !== undefined));
  const lines: string[] = [];
  for (const { label, a: nameA, b: nameB, goals } of rows) {
    const a = ran(nameA);
    const b = ran(nameB);
    if (a === undefined || b === undefined) continue;
    lines.push(
      `| ${label} | ${ratio(a.keepAlive, b.keepAlive, measuredRate, goals?.keepAlive)} | ` +
        `${ratio(a.handshake, b.handshake, measuredRate, goals?.handshake)} | ` +
        `${ratio(a.keepAlive, b.keepAlive, projectedRate, goals?.keepAlive)} | ` +
        `${ratio(a.handshake, b.handshake, projectedRate, goals?.handshake)} |`,
    );
  }
  if (lines.length === 0) return null;
  return [
    '| ratio | keep-alive req/s | handshakes/s | keep-alive, per target CPU-second | handshakes, per target CPU-second |',
    '|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}

/** One value, or every round's value when they differ. */
function perRound(values: readonly number[]): string {
  const shown = values.map((v) => fmt(v));
  return new Set(shown).size <= 1 ? (shown[0] ?? '—') : shown.join(' / ');
}

/** Start-up figures (per round) and memory after the phases, for the targets that ran. */
function startupTable(outcomes: TargetOutcome[]): string | null {
  const ran = outcomes.filter((o) => o.memory.length > 0 || o.startup.length > 0);
  if (ran.length === 0) return null;
  const names = [...new Set(ran.flatMap((o) => o.startup.flatMap((figures) => Object.keys(figures))))];
  const rows = [
    `| target | ${names.map((n) => FIGURE_LABELS[n] ?? n).join(' | ')}${names.length > 0 ? ' | ' : ''}RSS after the phases MiB | peak RSS MiB |`,
    `|---|${names.map(() => '--:|').join('')}--:|--:|`,
  ];
  for (const o of ran) {
    const figures = names.map((n) => (o.startup.length === 0 ? '—' : perRound(o.startup.map((f) => f[n] ?? NaN))));
    rows.push(
      `| ${o.name} | ${figures.join(' | ')}${names.length > 0 ? ' | ' : ''}${perRound(o.memory.map((m) => m.rssMb))} | ` +
        `${perRound(o.memory.map((m) => m.peakRssMb))} |`,
    );
  }
  return rows.join('\n');
}

function setup(input: ReportInput): string {
  const { config, machine } = input;
  const layout = input.layout.pinned
    ? `target pinned to CPU ${config.targetCpu}; load generator + upstream pinned to CPU ${config.driverCpu} (taskset)`
    : 'unpinned (the OS schedules everything on all cores)';
  return [
    `- date: ${input.date.toISOString()}`,
    `- command: \`${input.command}\``,
    `- machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.kernel}; node ${machine.node} (OpenSSL ${machine.openssl})`,
    `- layout: ${layout}${config.nice === 0 ? '' : `; bench processes at nice ${config.nice}`}`,
    `- upstream: ${config.upstream === 'raw' ? 'node:net server writing a prebuilt HTTP/1.1 answer' : 'node:http server'} on 127.0.0.1, shared by the proxied targets`,
    `- per phase: ${config.warmupSeconds} s warm-up, then ${config.seconds} s measured; ${config.connections} connections; ` +
      `${config.rounds} round${config.rounds > 1 ? "s over all targets (the tables show each target's median undisturbed round; * = disturbed)" : ''}; ` +
      `a phase disturbed by other programs is retried up to ${config.noisyRetries} times; ` +
      `HTTP/1.1 GET, small fixed body; client offers up to ${config.tlsMaxVersion}${config.tlsGroups === undefined ? '' : ` and only the groups ${config.tlsGroups}`}; client certificate ECDSA P-256; ` +
      `identity forwarded upstream by the proxies: ${config.forwardIdentity}; ` +
      `session tickets: ${config.sessionTickets}${config.sessionTickets === 'off' ? ' (BENCH_SESSION_TICKETS=off: every target)' : ''}`,
  ].join('\n');
}

function targetList(outcomes: TargetOutcome[]): string {
  return outcomes
    .map((o) => {
      const head = `- **${o.name}**: ${o.description}`;
      if (o.skipped !== undefined) return `${head} — skipped: ${o.skipped}`;
      const facts = [
        o.version,
        o.probe ? `negotiated ${o.probe.negotiated}, ${o.probe.tickets} session tickets per handshake` : undefined,
        o.probe ? `no certificate → ${o.probe.noCertRefusal}` : undefined,
        ...o.notes,
        o.failed === undefined ? undefined : `FAILED: ${o.failed.split('\n')[0] ?? ''}`,
      ].filter((x) => x !== undefined);
      return `${head} — ${facts.join('; ')}`;
    })
    .join('\n');
}

export function renderReport(input: ReportInput): string {
  const ran = input.outcomes.filter((o) => o.keepAlive !== undefined || o.handshake !== undefined);
  const section = (title: string, body: string): string => `## ${title}\n\n${body}\n`;
  const optional = (title: string, body: string | null, note?: string): string[] =>
    body === null ? [] : [section(title, note === undefined ? body : `${body}\n\n${note}`)];
  return [
    section('Setup', setup(input)),
    section('Targets', targetList(input.outcomes)),
    section(
      `Keep-alive: ${input.config.connections} connections, one request in flight each`,
      phaseTable(ran, 'keepAlive', input.layout, input.config.rounds),
    ),
    section(
      'New connections: full mTLS handshake (no resumption) + one request + close',
      phaseTable(ran, 'handshake', input.layout, input.config.rounds),
    ),
    ...optional('Ratios', ratioTable(input.outcomes, PROXY_RATIOS)),
    ...optional('Gateway ratios (issues 4, 5 and 6)', ratioTable(input.outcomes, GATEWAY_RATIOS)),
    'CPU columns: percent of one core over the measured window (process tree incl. all threads, from /proc). ' +
      '"at 100% target CPU": the measured rate divided by the target\'s CPU share — what it would do with its core ' +
      'to itself if the work scales linearly; the "per target CPU-second" ratios compare those. ELU: event-loop ' +
      'utilization of the load generator. Unattributed: core time used by no bench process (other programs, ' +
      'kernel softirq work for loopback TCP). Core busy: /proc/stat. "driver core (lower bound)": the core ' +
      'shared by the load generator and the upstream was saturated, so the target may be faster than shown.\n',
    ...optional(
      'Start-up and memory',
      startupTable(input.outcomes),
      'One value per round where they differ. Snapshot build: one revocation index shared by every host policy ' +
        '(as the compiler builds it), the host policies, routes, rules, GatewaySnapshot; ' +
        'certificates and serials are read or made before the clock starts. RSS after the phases: the process tree; ' +
        'peak: the root process since it started (VmHWM).',
    ),
  ].join('\n');
}
