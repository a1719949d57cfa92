/**
 * `portcullis analytics summary|requests|certificates <zone-id>` and `portcullis expiring <account-id>`: the
 * zone's request analytics (grouped, and the request log), the certificates seen, and the expiry report, through
 * the admin API (`/zones/{id}/gateway/analytics…`, `/accounts/{id}/gateway/expiring_certificates`).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatListing, printResult, when } from '../output.ts';

interface Aggregate {
  requests: number;
  errors: number;
  bytes_in: number;
  bytes_out: number;
  latency_avg_ms: number | null;
  latency_max_ms: number | null;
}

interface Summary {
  since: string;
  until: string;
  group_by: string | null;
  totals: Aggregate;
  groups: (Aggregate & { key: string | null })[];
}

interface RequestEntry {
  time: string;
  hostname: string;
  method: string;
  path: string;
  status: number;
  fingerprint: string | null;
  latency_ms: number;
  api_id: string | null;
  key_id: string | null;
}

interface CertificateUsage {
  fingerprint: string;
  serial: string;
  issuer: string;
  requests: number;
  last_seen: string;
}

interface Expiring {
  kind: string;
  id: string;
  name: string;
  expires_on: string;
  days_remaining: number;
  expired: boolean;
  zone_id: string | null;
}

interface RangeOptions extends AdminCommandOptions {
  since?: string;
  until?: string;
  limit?: number;
}

const wholeNumber =
  (flag: string, max: number) =>
  (text: string): number => {
    if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from 1 to ${max}`);
    }
    return Number(text);
  };

function withRange(command: Command): Command {
  return command
    .option('--since <time>', 'ISO-8601 start, included (default: 24 hours before --until)')
    .option('--until <time>', 'ISO-8601 end, excluded (default: now)');
}

const latency = (ms: number | null): string => (ms === null ? '-' : `${ms} ms`);

export function registerAnalyticsCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const analytics = program.command('analytics').description("a zone's request analytics");
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));

  withAdminCommandOptions(
    withRange(
      analytics
        .command('summary')
        .description('requests, errors, bytes and latency, in total and grouped')
        .argument('<zone-id>', 'zone'),
    )
      .addOption(new Option('--group-by <field>', 'group by').choices(['api', 'key', 'certificate', 'status']))
      .addOption(new Option('--limit <n>', 'most groups shown').argParser(wholeNumber('--limit', 1000))),
  ).action((zoneId: string, options: RangeOptions & { groupBy?: string }) => {
    run(async () => {
      const client = await connect(options);
      const summary = await client.get<Summary>(`/zones/${segment(zoneId)}/gateway/analytics`, {
        since: options.since,
        until: options.until,
        group_by: options.groupBy,
        limit: options.limit,
      });
      const totals = summary.totals;
      const line =
        `${count(totals.requests, 'request')}, ${count(totals.errors, 'error')}, ` +
        `latency avg ${latency(totals.latency_avg_ms)}, max ${latency(totals.latency_max_ms)} ` +
        `(${summary.since} to ${summary.until})`;
      printResult(options, summary, () =>
        summary.group_by === null
          ? line
          : formatListing(
              summary.groups,
              [
                { header: summary.group_by.toUpperCase(), value: (g) => g.key ?? '-' },
                { header: 'REQUESTS', value: (g) => String(g.requests) },
                { header: 'ERRORS', value: (g) => String(g.errors) },
                { header: 'AVG', value: (g) => latency(g.latency_avg_ms) },
                { header: 'MAX', value: (g) => latency(g.latency_max_ms) },
              ],
              line,
            ),
      );
    });
  });

  withAdminCommandOptions(
    withRange(analytics.command('requests').description('the request log, newest first').argument('<zone-id>', 'zone'))
      .option('--api-id <id>', 'only requests to this API')
      .option('--key-id <id>', 'only requests with this key')
      .option('--fingerprint <sha256>', 'only requests with this client certificate')
      .option('--status <code>', 'only answers with this HTTP status')
      .addOption(new Option('--limit <n>', 'most requests shown (100)').argParser(wholeNumber('--limit', 1000))),
  ).action(
    (
      zoneId: string,
      options: RangeOptions & { apiId?: string; keyId?: string; fingerprint?: string; status?: string },
    ) => {
      run(async () => {
        const client = await connect(options);
        const entries = await client.get<RequestEntry[]>(`/zones/${segment(zoneId)}/gateway/analytics/requests`, {
          since: options.since,
          until: options.until,
          api_id: options.apiId,
          key_id: options.keyId,
          fingerprint: options.fingerprint,
          status: options.status,
          limit: options.limit,
        });
        printResult(options, entries, () =>
          formatListing(
            entries,
            [
              { header: 'TIME', value: (e) => e.time },
              { header: 'STATUS', value: (e) => String(e.status) },
              { header: 'METHOD', value: (e) => e.method },
              { header: 'HOST', value: (e) => e.hostname },
              { header: 'PATH', value: (e) => e.path },
              { header: 'LATENCY', value: (e) => `${e.latency_ms} ms` },
              { header: 'CERTIFICATE', value: (e) => e.fingerprint ?? '-' },
            ],
            count(entries.length, 'request'),
          ),
        );
      });
    },
  );

  withAdminCommandOptions(
    withRange(
      analytics
        .command('certificates')
        .description('client certificates seen, with their requests and when last')
        .argument('<zone-id>', 'zone'),
    ),
  ).action((zoneId: string, options: RangeOptions) => {
    run(async () => {
      const client = await connect(options);
      const seen = await client.get<CertificateUsage[]>(`/zones/${segment(zoneId)}/gateway/analytics/certificates`, {
        since: options.since,
        until: options.until,
      });
      printResult(options, seen, () =>
        formatListing(
          seen,
          [
            { header: 'FINGERPRINT', value: (c) => c.fingerprint },
            { header: 'SERIAL', value: (c) => c.serial },
            { header: 'REQUESTS', value: (c) => String(c.requests) },
            { header: 'LAST SEEN', value: (c) => when(c.last_seen) },
          ],
          count(seen.length, 'certificate'),
        ),
      );
    });
  });

  withAdminCommandOptions(
    program
      .command('expiring')
      .description('the expiry report: client, CA and edge certificates of an account expiring soon (or lately)')
      .argument('<account-id>', 'account')
      .addOption(
        new Option('--within-days <n>', 'days ahead (and back, for expired ones)').argParser(
          wholeNumber('--within-days', 3650),
        ),
      ),
  ).action((accountId: string, options: AdminCommandOptions & { withinDays?: number }) => {
    run(async () => {
      const client = await connect(options);
      const list = await client.get<Expiring[]>(`/accounts/${segment(accountId)}/gateway/expiring_certificates`, {
        within_days: options.withinDays,
      });
      printResult(options, list, () =>
        formatListing(
          list,
          [
            { header: 'EXPIRES', value: (c) => c.expires_on },
            { header: 'DAYS', value: (c) => (c.expired ? 'expired' : String(c.days_remaining)) },
            { header: 'KIND', value: (c) => c.kind },
            { header: 'ID', value: (c) => c.id },
            { header: 'NAME', value: (c) => c.name },
          ],
          `${count(list.length, 'certificate')} expiring within ${options.withinDays ?? 30} days`,
        ),
      );
    });
  });
}
