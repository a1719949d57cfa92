/**
 * `portcullis serve`: the gateway with its store and management API. The admin API listens on
 * 127.0.0.1:9000 by default (base path /client/v4, `Authorization: Bearer <token>`); the gateway on
 * 0.0.0.0:8443. The bootstrap admin token is written to <data-dir>/admin-token on first start.
 * With --config, the declarative file is applied before listening (refused: exit 3) and again on
 * SIGHUP (refused: logged, and what is in force stays in force).
 */
import { Option, type Command } from 'commander';
import cluster from 'node:cluster';
import { parseServeOptions, type ServeOptions, type ServeOptionsInput } from '../../config/serve-options.ts';
import { parseWorkers, WORKERS_HELP, WORKERS_OPTION } from '../../config/workers-option.ts';
import { WorkerStartError } from '../../app/worker-pool.ts';
import { SESSION_TICKETS_HELP, SESSION_TICKETS_OPTION } from '../../config/session-tickets.ts';
import { formatListenAddress } from '../../config/listen-address.ts';
import { parseDuration } from '../../config/duration.ts';
import { EST_LIMIT_OPTIONS } from '../../config/est-limits.ts';
import type { GatewayError } from '../../errors/index.ts';
import { createLogger } from '../../observability/logger.ts';
import { EXIT_OK, EXIT_RUNTIME } from '../exit-codes.ts';
import { logLevelOption } from '../log-level-option.ts';
import { addConnectionLimitOptions } from '../connection-limit-options.ts';
import { waitForShutdownSignal } from '../shutdown-signal.ts';

interface ServeCommandOptions extends ServeOptionsInput {
  logLevel: 'info';
  shutdownTimeout: string;
  workers: string;
}

export function registerServeCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const command = program
    .command('serve')
    .description('run the gateway with its store and the management API')
    .option('--data-dir <dir>', 'where the SQLite store, master key, admin token and edge CA live', './data')
    .option('--store <url>', 'postgres://user@host/db (default: SQLite in the data dir)')
    .option('--admin-listen <host:port>', 'management API address', '127.0.0.1:9000')
    .option('--listen <host:port>', 'gateway (HTTPS) address', '0.0.0.0:8443')
    .option('--public-url <url>', 'base URL of the gateway for CRL and OCSP links (default: from --listen)')
    .option('--config <file>', 'declarative configuration file, applied at start and on SIGHUP')
    .option('--portal-listen <host:port>', 'developer portal (HTTPS) address; default: no portal')
    .option('--portal-url <url>', 'base URL of the developer portal for links (default: from --portal-listen)')
    .option('--shutdown-timeout <duration>', 'on SIGTERM, time allowed for in-flight requests', '10s')
    .option(
      '--upstream-timeout <duration>',
      'time for an upstream to answer (headers, and between body chunks) unless its route or API sets its own',
      '30s',
    )
    .option('--analytics-retention-days <days>', 'delete analytics records older than this (0: keep)', '30')
    .option('--expiry-window-days <days>', 'report certificates expiring within this many days', '30')
    .option(`${SESSION_TICKETS_OPTION} <on|off>`, SESSION_TICKETS_HELP, 'on')
    .option(`${WORKERS_OPTION} <n|auto>`, WORKERS_HELP, '1')
    .option(
      '--config-stale-after <duration>',
      'report the configuration stale (readyz 503) when it cannot be brought up to date for this long',
      '10s',
    );
  for (const [flags, help, fallback] of EST_LIMIT_OPTIONS) command.option(flags, help, fallback);
  addConnectionLimitOptions(command)
    .addOption(
      new Option('--redis <url>', 'Redis for rate limits and quotas shared by a cluster (redis:// or rediss://)').env(
        'PORTCULLIS_REDIS_URL',
      ),
    )
    .addOption(
      new Option('--expiry-webhook <url>', 'POST certificate expiry events (JSON) to this URL').env(
        'PORTCULLIS_EXPIRY_WEBHOOK',
      ),
    )
    .addOption(logLevelOption())
    .action((options: ServeCommandOptions) => {
      setResult(runServe(options));
    });
}

async function runServe(options: ServeCommandOptions): Promise<number> {
  const serve = parseServeOptions(options);
  const shutdownTimeoutMs = parseDuration(options.shutdownTimeout, '--shutdown-timeout');
  const workers = parseWorkers(options.workers);
  if (cluster.isWorker) return runServeWorker(serve, shutdownTimeoutMs, options.logLevel);
  const logger = createLogger(options.logLevel);
  // Loaded here, not at the top: every other command starts faster without the server's modules.
  const { startGateway } = await import('../../app/serve.ts');
  let giveUp: () => void = () => undefined;
  const gaveUp = new Promise<'gave up'>((resolve) => (giveUp = () => resolve('gave up')));
  let running: Awaited<ReturnType<typeof startGateway>>;
  try {
    running = await startGateway(
      serve,
      logger,
      process.env,
      {},
      workers === 1 ? undefined : { workers, onGiveUp: () => giveUp() },
    );
  } catch (error) {
    // A worker refused the start (it printed why): its exit code is ours.
    if (error instanceof WorkerStartError) return error.exitCode;
    throw error;
  }
  logger.info(
    {
      admin: `http://${formatListenAddress({ host: running.adminAddress.address, port: running.adminAddress.port })}/client/v4`,
      address: formatListenAddress({ host: running.gatewayAddress.address, port: running.gatewayAddress.port }),
      ...(running.portal === undefined ? {} : { portal: running.portal.url }),
      store: serve.store.kind,
      dataDir: serve.dataDir,
      ...(workers === 1 ? {} : { workers }),
    },
    'listening',
  );
  const onHangup = (): void => {
    if (serve.configFile === undefined) {
      logger.warn('SIGHUP ignored: serve runs without --config');
      return;
    }
    running.reload().catch((error: unknown) => {
      // Refused or failed: what is in force stays in force, and the gateway keeps serving.
      const { code, message } = error as GatewayError;
      logger.error({ code, err: message }, 'config not applied: the running configuration is kept');
    });
  };
  process.on('SIGHUP', onHangup);
  const signal = await Promise.race([waitForShutdownSignal(), gaveUp]);
  process.off('SIGHUP', onHangup);
  logger.info({ signal }, 'draining');
  await running.stop(shutdownTimeoutMs);
  logger.info('stopped');
  return signal === 'gave up' ? EXIT_RUNTIME : EXIT_OK;
}

/** A worker of `serve --workers N`: serves until SIGTERM/SIGINT (its own, or relayed by the primary). */
async function runServeWorker(serve: ServeOptions, shutdownTimeoutMs: number, logLevel: 'info'): Promise<number> {
  const logger = createLogger(logLevel).child({ worker: cluster.worker?.id });
  const { startGatewayWorker } = await import('../../app/serve.ts');
  const { primaryPort } = await import('../../app/cluster-port.ts');
  const { takeTicketSecret } = await import('../../app/serve-primary.ts');
  const ticketSecret = takeTicketSecret(process.env);
  if (ticketSecret === undefined)
    throw new Error('started as a worker without the session-ticket secret of its primary');
  // A SIGHUP sent to the whole process group is the primary's to act on (it re-applies --config and
  // hints the change here); without a handler it would end this process.
  const onHangup = (): void => undefined;
  process.on('SIGHUP', onHangup);
  const running = await startGatewayWorker(serve, logger, process.env, { port: primaryPort(), ticketSecret });
  const signal = await waitForShutdownSignal();
  process.off('SIGHUP', onHangup);
  logger.info({ signal }, 'draining');
  await running.stop(shutdownTimeoutMs);
  logger.info('stopped');
  return EXIT_OK;
}
