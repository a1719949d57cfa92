/**
 * The command line: parses argv with commander and maps every failure to a message on stderr and
 * an exit code (0 ok, 1 runtime, 2 usage, 3 configuration refused). Never prints a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { GatewayError } from '../errors/index.ts';
import { EXIT_OK, EXIT_RUNTIME, EXIT_USAGE } from './exit-codes.ts';
import { registerProxyCommand } from './commands/proxy.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerAccountCommand } from './commands/account.ts';
import { registerZoneCommand } from './commands/zone.ts';
import { registerTokenCommand } from './commands/token.ts';
import { registerCaCommand } from './commands/ca.ts';
import { registerCertCommand } from './commands/cert.ts';
import { registerEstCommand } from './commands/est.ts';
import { registerRuleCommand } from './commands/rule.ts';
import { registerRouteCommand } from './commands/route.ts';
import { registerApiCommand } from './commands/api.ts';
import { registerKeyCommand } from './commands/key.ts';
import { registerPolicyCommand } from './commands/policy.ts';
import { registerZoneSanPolicyCommand } from './commands/zone-san-policy.ts';
import { registerAnalyticsCommand } from './commands/analytics.ts';
import { registerHeadersCommand } from './commands/headers.ts';
import { registerCertInspectCommand } from './commands/cert-inspect.ts';
import { registerCompletionCommand } from './commands/completion.ts';
import { registerPortalCommand } from './commands/portal.ts';
import { registerEdgeCertCommand } from './commands/edge-cert.ts';
import { registerConfigCommand } from './commands/config.ts';

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('portcullis')
    .description('Portcullis: an mTLS API gateway')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  let result: Promise<number> = Promise.resolve(EXIT_OK);
  const setResult = (value: Promise<number>): void => {
    result = value;
  };
  registerProxyCommand(program, setResult);
  registerDemoCommand(program, setResult);
  registerServeCommand(program, setResult);
  registerAccountCommand(program, setResult);
  registerZoneCommand(program, setResult);
  registerZoneSanPolicyCommand(program, setResult);
  registerTokenCommand(program, setResult);
  registerCaCommand(program, setResult);
  registerCertCommand(program, setResult);
  registerCertInspectCommand(program, setResult);
  registerEstCommand(program, setResult);
  registerRuleCommand(program, setResult);
  registerRouteCommand(program, setResult);
  registerApiCommand(program, setResult);
  registerKeyCommand(program, setResult);
  registerPolicyCommand(program, setResult);
  registerAnalyticsCommand(program, setResult);
  registerHeadersCommand(program, setResult);
  registerEdgeCertCommand(program, setResult);
  registerConfigCommand(program, setResult);
  registerCompletionCommand(program);
  registerPortalCommand(program, setResult);
  try {
    await program.parseAsync([...argv]);
    return await result;
  } catch (error) {
    return reportFailure(error);
  }
}

export function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message; help and version end with code 0.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (error instanceof GatewayError) {
    process.stderr.write(`portcullis: ${error.message} [${error.code}]\n`);
    return error.exitCode;
  }
  process.stderr.write(`portcullis: unexpected failure: ${(error as Error).message}\n`);
  return EXIT_RUNTIME;
}
