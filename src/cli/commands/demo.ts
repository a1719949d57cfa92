/**
 * `portcullis demo` (what `npm start` runs): the real gateway (`portcullis serve`) on
 * https://localhost:8443 with its admin API on 127.0.0.1:9000 and its data in `<data-dir>/demo/`,
 * configured through that API (demo/demo-setup.ts: zone localhost, managed CA, route to a demo
 * upstream, the mTLS rule, a client certificate), then the curl lines to try. Ctrl-C drains, exit 0.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { GW_ERR_LISTEN_FAILED, GatewayError } from '../../errors/index.ts';
import { formatListenAddress } from '../../config/listen-address.ts';
import { parseServeOptions } from '../../config/serve-options.ts';
import { createLogger } from '../../observability/logger.ts';
import { configureDemo, demoFiles } from '../../demo/demo-setup.ts';
import { startDemoUpstream } from '../../demo/demo-upstream.ts';
import { formatDemoInstructions } from '../../demo/demo-instructions.ts';
import { configureDemoPortal } from '../../demo/demo-portal.ts';
import { formatPortalInstructions } from '../../demo/demo-portal-instructions.ts';
import { connect } from '../../admin-client/admin-client.ts';
import { EXIT_OK } from '../exit-codes.ts';
import { logLevelOption } from '../log-level-option.ts';
import { waitForShutdownSignal } from '../shutdown-signal.ts';

interface DemoOptions {
  dataDir: string;
  listen: string;
  adminListen: string;
  portalListen: string;
  logLevel: 'info';
}

const SHUTDOWN_TIMEOUT_MS = 5_000;

export function registerDemoCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  program
    .command('demo')
    .description('try Portcullis in a minute: the gateway, a managed CA, a demo upstream, and curl lines')
    .option('--data-dir <dir>', 'where the demo gateway keeps its data (in <dir>/demo/)', './data')
    .option('--listen <host:port>', 'address of the gateway (HTTPS, mTLS)', '127.0.0.1:8443')
    .option('--admin-listen <host:port>', 'address of the admin API (HTTP)', '127.0.0.1:9000')
    .option('--portal-listen <host:port>', 'address of the developer portal (HTTPS)', '127.0.0.1:8444')
    .addOption(logLevelOption())
    .action((options: DemoOptions) => {
      setResult(runDemo(options));
    });
}

async function runDemo(options: DemoOptions): Promise<number> {
  const dir = path.resolve(options.dataDir, 'demo');
  // Usage errors before anything is started or written.
  const serveOptions = parseServeOptions({
    dataDir: dir,
    listen: options.listen,
    adminListen: options.adminListen,
    portalListen: options.portalListen,
  });
  const logger = createLogger(options.logLevel);
  const { startGateway } = await import('../../app/serve.ts');
  const upstream = await startDemoUpstream();
  let gateway;
  try {
    gateway = await startGateway(serveOptions, logger, process.env);
  } catch (error) {
    await upstream.close();
    throw explainPortInUse(error);
  }
  const files = demoFiles(dir);
  const adminUrl = `http://${formatListenAddress({ host: gateway.adminAddress.address, port: gateway.adminAddress.port })}/client/v4`;
  let created: boolean;
  let invitationUrl: string;
  try {
    const api = await connect({ api: adminUrl, dataDir: dir });
    created = await configureDemo(api, upstream.url, files);
    invitationUrl = await configureDemoPortal(api, upstream.url);
  } catch (error) {
    await gateway.stop(SHUTDOWN_TIMEOUT_MS);
    await upstream.close();
    throw error;
  }
  const address = gateway.gatewayAddress;
  logger.info(
    {
      address: formatListenAddress({ host: address.address, port: address.port }),
      admin: adminUrl,
      upstream: upstream.url,
      dir,
      reused: !created,
    },
    'listening',
  );
  // The log line is written asynchronously; let it out first so the instructions end the output.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  // The portal's lines first: the demo's own instructions end the output ("Press Ctrl-C to stop.").
  if (gateway.portal !== undefined) {
    process.stdout.write(formatPortalInstructions(gateway.portal.url, invitationUrl, files.edgeCaCert));
  }
  process.stdout.write(formatDemoInstructions({ files, address, adminUrl, created, cwd: process.cwd() }));
  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'draining');
  await gateway.stop(SHUTDOWN_TIMEOUT_MS);
  await upstream.close();
  logger.info('stopped');
  return EXIT_OK;
}

/** EADDRINUSE is the likely failure of a demo (one still running): say so, and how to pick another port. */
function explainPortInUse(error: unknown): unknown {
  const isListenFailure = error instanceof GatewayError && error.code === GW_ERR_LISTEN_FAILED.code;
  const address = isListenFailure ? /^Cannot listen on (.+) \(EADDRINUSE\)$/.exec(error.message)?.[1] : undefined;
  if (address === undefined) return error;
  return GW_ERR_LISTEN_FAILED.create(
    `${address}: the port is already in use (is another demo still running?). ` +
      'Stop it, or pick other ports: npm start -- --listen 127.0.0.1:9443 --admin-listen 127.0.0.1:9001',
    error,
  );
}
