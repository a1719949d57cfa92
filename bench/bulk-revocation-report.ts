/**
 * The bulk-revocation bench's report (markdown): per round and gateway, the time from the bulk call's start
 * to the first refusal any probe saw, to the last new-handshake loop's refusal and to the last open
 * connection's; their distribution over rounds; every probe's time by gateway and kind; and the verdict
 * against the 1-second goal (issue 20: 10,000 certificates revoked in one call take effect on every gateway,
 * new handshakes and open connections, within 1 s).
 */
import type { Refusal } from './bulk-revocation-probes.ts';

export const GOAL_MS = 1_000;

export interface GatewayRound {
  readonly gateway: string;
  /** One per open-connection probe; undefined: not refused by the deadline. */
  readonly open: readonly (Refusal | undefined)[];
  readonly handshakes: readonly (Refusal | undefined)[];
}

export interface RoundResult {
  readonly round: number;
  readonly bulkMs: number;
  readonly perGateway: readonly GatewayRound[];
}

export interface ReportSettings {
  readonly n: number;
  readonly k: number;
  readonly handshakeLoops: number;
  readonly intervalMs: number;
  readonly deadlineMs: number;
  readonly setting: string;
}

/** The nearest-rank percentile of sorted values (NaN when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(0));

/** The latest of the probes' refusals; undefined when one was never refused. */
function last(outcomes: readonly (Refusal | undefined)[]): number | undefined {
  if (outcomes.some((outcome) => outcome === undefined)) return undefined;
  return Math.max(...outcomes.map((outcome) => (outcome as Refusal).ms));
}

function first(outcomes: readonly (Refusal | undefined)[]): number | undefined {
  const times = outcomes.flatMap((outcome) => (outcome === undefined ? [] : [outcome.ms]));
  return times.length === 0 ? undefined : Math.min(...times);
}

interface Measures {
  readonly first: number | undefined;
  readonly allHandshakes: number | undefined;
  readonly allOpen: number | undefined;
}

function measures(gateway: GatewayRound): Measures {
  return {
    first: first([...gateway.open, ...gateway.handshakes]),
    allHandshakes: last(gateway.handshakes),
    allOpen: last(gateway.open),
  };
}

function distribution(label: string, values: readonly (number | undefined)[]): string {
  const done = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  const cells = [50, 90].map((p) => ms(percentile(done, p)));
  return `| ${label} | ${values.length} | ${cells.join(' | ')} | ${ms(done.at(-1))} | ${values.length - done.length} |`;
}

export function roundReport(results: readonly RoundResult[], settings: ReportSettings): string {
  const gateways = results[0]?.perGateway.map((gateway) => gateway.gateway) ?? [];
  const of = (name: string) =>
    results.map((result) => measures(result.perGateway.find((gateway) => gateway.gateway === name) as GatewayRound));
  const everyProbe = results.flatMap((result) =>
    result.perGateway.flatMap((gateway) => [...gateway.open, ...gateway.handshakes]),
  );
  const late = everyProbe.filter((outcome) => outcome !== undefined && outcome.ms > GOAL_MS).length;
  const never = everyProbe.filter((outcome) => outcome === undefined).length;
  const closed = everyProbe.filter((outcome) => outcome?.how === 'closed').length;
  const verdict =
    late + never === 0
      ? `**Yes**: every one of the ${everyProbe.length} probes was refused within ${GOAL_MS} ms of the call's start.`
      : `**No**: of ${everyProbe.length} probes, ${late} were refused after ${GOAL_MS} ms and ${never} not within ${settings.deadlineMs} ms.`;
  const lines = [
    `## Bulk revocation across two gateways (N = ${settings.n}, ${results.length} round${results.length === 1 ? '' : 's'})`,
    '',
    `${settings.setting}. Each round revokes a fresh set of N certificates (one tag) in one call through A, ` +
      `probed on each gateway by ${settings.k} open connections (a request every ${settings.intervalMs} ms) and ` +
      `${settings.handshakeLoops} new-handshake loops. Times are ms from the start of the bulk call to the refusal ` +
      `(403${closed > 0 ? `, or the connection closed: ${closed} probes` : ''}), measured by the probe: they include its round trip ` +
      `and up to one interval.`,
    '',
    `Every probe refused within ${GOAL_MS} ms? ${verdict}`,
    '',
    '| round | bulk call | ' +
      gateways.map((name) => `${name}: first refusal | ${name}: all handshakes | ${name}: all open`).join(' | ') +
      ' |',
    '|---:|---:|' + gateways.map(() => '---:|---:|---:|').join(''),
    ...results.map((result) => {
      const cells = result.perGateway.flatMap((gateway) => {
        const m = measures(gateway);
        return [ms(m.first), ms(m.allHandshakes), ms(m.allOpen)];
      });
      return `| ${result.round} | ${ms(result.bulkMs)} | ${cells.join(' | ')} |`;
    }),
    '',
    'Over the rounds ("never": a probe not refused by the deadline):',
    '',
    '| measure | rounds | p50 | p90 | max | never |',
    '|---|---:|---:|---:|---:|---:|',
    distribution(
      'bulk call',
      results.map((result) => result.bulkMs),
    ),
    ...gateways.flatMap((name) => [
      distribution(
        `${name}: first refusal`,
        of(name).map((m) => m.first),
      ),
      distribution(
        `${name}: every new handshake refused`,
        of(name).map((m) => m.allHandshakes),
      ),
      distribution(
        `${name}: every open connection refused`,
        of(name).map((m) => m.allOpen),
      ),
    ]),
    distribution(
      'overall: first refusal',
      gateways.flatMap((name) => of(name).map((m) => m.first)),
    ),
    distribution(
      'overall: every probe refused',
      gateways.flatMap((name) =>
        of(name).map((m) =>
          m.allOpen === undefined || m.allHandshakes === undefined ? undefined : Math.max(m.allOpen, m.allHandshakes),
        ),
      ),
    ),
    '',
    'Every probe, all rounds:',
    '',
    '| gateway, kind | probes | p50 | p90 | max | never |',
    '|---|---:|---:|---:|---:|---:|',
    ...gateways.flatMap((name) => {
      const rounds = results.map(
        (result) => result.perGateway.find((gateway) => gateway.gateway === name) as GatewayRound,
      );
      return [
        distribution(
          `${name}, open connection`,
          rounds.flatMap((gateway) => gateway.open.map((outcome) => outcome?.ms)),
        ),
        distribution(
          `${name}, new handshake`,
          rounds.flatMap((gateway) => gateway.handshakes.map((outcome) => outcome?.ms)),
        ),
      ];
    }),
    '',
  ];
  return lines.join('\n');
}
