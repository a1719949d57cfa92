/**
 * `portcullis proxy`: a standalone mTLS reverse proxy with no store. Requires and verifies client
 * certificates, forwards verified identity, proxies HTTP/1.1, HTTP/2 and gRPC to one upstream.
 * SIGHUP re-reads --cert, --key, --client-ca and --crl, checked as at start; refused: logged, and
 * what is in force stays in force.
 */
import cluster from 'node:cluster';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { parseWorkers, WORKERS_HELP, WORKERS_OPTION } from '../../config/workers-option.ts';
import { WORKER_LISTENING, WorkerStartError } from '../../app/worker-pool.ts';
import { primaryPort } from '../../app/cluster-port.ts';
import { takeTicketSecret } from '../../app/serve-primary.ts';
import { RELOAD_REQUEST, startProxyPrimary, type ProxyPrimary } from '../../app/proxy-workers.ts';
import { COMPATIBILITY_OPTION, loadProxyConfig, type ProxyOptionsInput } from '../../config/proxy-config.ts';
import { SESSION_TICKETS_HELP, SESSION_TICKETS_OPTION } from '../../config/session-tickets.ts';
import { startProxy } from '../../app/proxy.ts';
import { createLogger } from '../../observability/logger.ts';
import { formatListenAddress } from '../../config/listen-address.ts';
import { GW_ERR_USAGE, type GatewayError } from '../../errors/index.ts';
import { EXIT_OK, EXIT_RUNTIME } from '../exit-codes.ts';
import { logLevelOption } from '../log-level-option.ts';
import { addConnectionLimitOptions } from '../connection-limit-options.ts';
import { waitForShutdownSignal } from '../shutdown-signal.ts';
import { addProxyObservabilityOptions } from '../proxy-observability-options.ts';
import { parseProxyObservability, type ProxyObservabilityInput } from '../../config/proxy-observability-options.ts';

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').filter(Boolean),
];

export function registerProxyCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const command = program
    .command('proxy')
    .description('run a standalone mTLS reverse proxy in front of one upstream')
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 0.0.0.0:8443')
    .requiredOption('--cert <file>', 'server certificate (PEM, leaf first, then intermediates)')
    .requiredOption('--key <file>', 'server private key (PEM)')
    .requiredOption('--client-ca <file>', 'CA bundle trusted for client certificates (repeatable)', collect)
    .option('--crl <file>', 'CRL of a client CA (PEM; repeatable)', collect)
    .option(
      `${COMPATIBILITY_OPTION} <strict|legacy>`,
      'client-chain rules for the client CAs: legacy accepts CAs and chains without key identifiers or a critical root basicConstraints',
      'strict',
    )
    .requiredOption('--upstream <url>', 'upstream: http://, https:// or h2c:// URL')
    .option('--upstream-ca <file>', 'CA bundle trusted for an https:// upstream (default: system store)')
    .option('--forward-identity <formats>', 'identity headers to send upstream: none or xfcc,rfc9440,cf', 'xfcc')
    .option(
      '--allow-cert <sha256>',
      'only allow client certificates with this SHA-256 fingerprint (repeatable)',
      collect,
    )
    .option(
      '--upstream-timeout <duration>',
      'time for the upstream to answer (headers, and between body chunks)',
      '30s',
    )
    .option('--connect-timeout <duration>', 'time to connect to the upstream', '5s')
    .option('--shutdown-timeout <duration>', 'on SIGTERM, time allowed for in-flight requests', '10s')
    .option(`${SESSION_TICKETS_OPTION} <on|off>`, SESSION_TICKETS_HELP, 'on')
    .option(`${WORKERS_OPTION} <n|auto>`, WORKERS_HELP, '1');
  addProxyObservabilityOptions(addConnectionLimitOptions(command))
    .addOption(logLevelOption())
    .action((options: ProxyCommandOptions) => {
      setResult(runProxy(options));
    });
}

type ProxyCommandOptions = ProxyOptionsInput & ProxyObservabilityInput & { logLevel: 'info'; workers: string };

async function runProxy(options: ProxyCommandOptions): Promise<number> {
  const workers = parseWorkers(options.workers);
  const observability = parseProxyObservability(options);
  // Each worker would answer /metrics for itself alone (the listener is shared, one worker per scrape): refused
  // rather than wrong until the primary aggregates them as serve's does.
  if (workers > 1 && observability.metricsListen !== undefined) {
    throw GW_ERR_USAGE.create('--metrics-listen cannot be combined with --workers above 1 yet (use serve for that)');
  }
  const worker = cluster.worker;
  const logger =
    worker === undefined ? createLogger(options.logLevel) : createLogger(options.logLevel).child({ worker: worker.id });
  // Refused files end the start here (exit 3), in the primary as in one process.
  const config = await loadProxyConfig(options);
  if (worker === undefined && workers > 1) return runProxyPrimary(config.shutdownTimeoutMs, workers, logger);
  const ticketSecret = worker === undefined ? undefined : takeTicketSecret(process.env);
  if (worker !== undefined && ticketSecret === undefined) {
    throw new Error('started as a worker without the session-ticket secret of its primary');
  }
  const running = await startProxy(config, logger, observability, ticketSecret);
  logger.info(
    {
      address: formatListenAddress({ host: running.address.address, port: running.address.port }),
      upstream: options.upstream,
      clientCas: config.clientCas.certificates.length,
      clientCaCompatibility: config.clientCas.compatibility,
      revokedSerials: config.revocations.size,
      forwardIdentity: config.forwardIdentity,
      sessionTickets: config.sessionTickets,
      ...(running.metricsAddress === undefined
        ? {}
        : {
            metrics: `http://${formatListenAddress({ host: running.metricsAddress.address, port: running.metricsAddress.port })}/metrics`,
          }),
      ...(observability.accessLog === undefined ? {} : { accessLog: observability.accessLog }),
    },
    'listening',
  );
  // Reloads run one at a time, in the order the signals came.
  let reloading = Promise.resolve();
  const onHangup = (): void => {
    reloading = reloading.then(async () => {
      try {
        const next = await loadProxyConfig(options);
        running.reload(next);
        logger.info(
          { clientCas: next.clientCas.certificates.length, revokedSerials: next.revocations.size },
          'reloaded: certificate, key, client CAs and CRLs',
        );
      } catch (error) {
        const { code, message } = error as GatewayError;
        logger.error({ code, err: message }, 'reload refused: the running configuration is kept');
      }
    });
  };
  process.on('SIGHUP', onHangup);
  // A worker: the primary relays its SIGHUP, and hears when this one listens (worker-pool.ts).
  const port = worker === undefined ? undefined : primaryPort();
  const stopReloads = port?.onMessage((message) => {
    if (message.portcullis === RELOAD_REQUEST) onHangup();
  });
  port?.send({ portcullis: WORKER_LISTENING, address: running.address });
  const signal = await waitForShutdownSignal();
  process.off('SIGHUP', onHangup);
  stopReloads?.();
  logger.info({ signal, connections: running.listener.connectionCount }, 'draining');
  await running.stop();
  logger.info('stopped');
  return EXIT_OK;
}

/** `--workers N`: N workers serve the port (each loads the files itself); this process supervises them. */
async function runProxyPrimary(shutdownTimeoutMs: number, workers: number, logger: Logger): Promise<number> {
  let giveUp: () => void = () => undefined;
  const gaveUp = new Promise<'gave up'>((resolve) => (giveUp = () => resolve('gave up')));
  let primary: ProxyPrimary;
  try {
    primary = await startProxyPrimary(workers, logger, () => giveUp());
  } catch (error) {
    if (error instanceof WorkerStartError) return error.exitCode;
    throw error;
  }
  logger.info(
    { address: formatListenAddress({ host: primary.address.address, port: primary.address.port }), workers },
    'listening',
  );
  const onHangup = (): void => {
    logger.info({ workers }, 'reloading every worker');
    primary.reload();
  };
  process.on('SIGHUP', onHangup);
  const signal = await Promise.race([waitForShutdownSignal(), gaveUp]);
  process.off('SIGHUP', onHangup);
  logger.info({ signal }, 'draining');
  await primary.stop(shutdownTimeoutMs);
  logger.info('stopped');
  return signal === 'gave up' ? EXIT_RUNTIME : EXIT_OK;
}
