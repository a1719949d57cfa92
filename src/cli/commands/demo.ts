/**
 * `portcullis demo` (what `npm start` runs): makes a client CA, a client certificate and a server
 * certificate for localhost in `<data-dir>/demo/` (or reuses them), starts a small demo upstream, puts
 * the real `portcullis proxy` in front of it, and prints the curl lines to try. Ctrl-C drains and exits 0.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { GW_ERR_LISTEN_FAILED, GatewayError } from '../../errors/index.ts';
import { formatListenAddress, parseListenAddress } from '../../config/listen-address.ts';
import { loadProxyConfig } from '../../config/proxy-config.ts';
import { startProxy, type RunningProxy } from '../../proxy-app.ts';
import { createLogger, type Logger } from '../../observability/logger.ts';
import { ensureDemoCredentials, type DemoFiles } from '../../demo/demo-credentials.ts';
import { startDemoUpstream, type DemoUpstream } from '../../demo/demo-upstream.ts';
import { formatDemoInstructions } from '../../demo/demo-instructions.ts';
import { EXIT_OK } from '../exit-codes.ts';
import { logLevelOption } from '../log-level-option.ts';
import { waitForShutdownSignal } from '../shutdown-signal.ts';

interface DemoOptions {
  dataDir: string;
  listen: string;
  logLevel: 'info';
}

export function registerDemoCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  program
    .command('demo')
    .description('try Portcullis in a minute: certificates, a demo upstream, the mTLS proxy, and curl lines')
    .option('--data-dir <dir>', 'where the demo certificates and keys are kept (in <dir>/demo/)', './data')
    .option('--listen <host:port>', 'address of the mTLS listener', '127.0.0.1:8443')
    .addOption(logLevelOption())
    .action((options: DemoOptions) => {
      setResult(runDemo(options));
    });
}

async function runDemo(options: DemoOptions): Promise<number> {
  const listen = parseListenAddress(options.listen); // a usage error before any file is written
  const logger = createLogger(options.logLevel);
  const credentials = await ensureDemoCredentials(path.resolve(options.dataDir, 'demo'));
  const { files } = credentials;
  const upstream = await startDemoUpstream();
  let running: RunningProxy;
  try {
    running = await startDemoProxy(files, options.listen, upstream, logger);
  } catch (error) {
    await upstream.close();
    throw explainPortInUse(error, formatListenAddress(listen));
  }
  const { address } = running;
  logger.info(
    {
      address: formatListenAddress({ host: address.address, port: address.port }),
      upstream: upstream.url,
      dir: files.dir,
      reused: credentials.written.length === 0,
    },
    'listening',
  );
  // The log line is written asynchronously; let it out first so the instructions end the output.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.stdout.write(
    formatDemoInstructions({ files, address, created: credentials.written.length > 0, cwd: process.cwd() }),
  );
  const signal = await waitForShutdownSignal();
  logger.info({ signal, connections: running.listener.connectionCount }, 'draining');
  await running.stop();
  await upstream.close();
  logger.info('stopped');
  return EXIT_OK;
}

async function startDemoProxy(
  files: DemoFiles,
  listen: string,
  upstream: DemoUpstream,
  logger: Logger,
): Promise<RunningProxy> {
  const config = await loadProxyConfig({
    listen,
    cert: files.serverCert,
    key: files.serverKey,
    clientCa: [files.caCert],
    upstream: upstream.url,
    forwardIdentity: 'xfcc',
    upstreamTimeout: '30s',
    connectTimeout: '5s',
    shutdownTimeout: '5s',
  });
  return startProxy(config, logger);
}

/** EADDRINUSE is the likely failure of a demo (one still running): say so, and how to pick another port. */
function explainPortInUse(error: unknown, listen: string): unknown {
  const isListenFailure = error instanceof GatewayError && error.code === GW_ERR_LISTEN_FAILED.code;
  if (!isListenFailure || (error.cause as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') return error;
  return GW_ERR_LISTEN_FAILED.create(
    `${listen}: the port is already in use (is another demo still running?). ` +
      'Stop it, or pick another port with --listen 127.0.0.1:<port> (npm start -- --listen 127.0.0.1:9443)',
    error,
  );
}
