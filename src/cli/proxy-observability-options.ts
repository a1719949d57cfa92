/** The flags of `portcullis proxy` that report on its traffic: --metrics-listen and --access-log (both off by default). */
import type { Command } from 'commander';

export function addProxyObservabilityOptions(command: Command): Command {
  return command
    .option(
      '--metrics-listen <host:port>',
      'serve Prometheus metrics at http://HOST:PORT/metrics (plain HTTP, no token; a loopback address unless --metrics-allow-remote)',
    )
    .option('--metrics-allow-remote', 'allow --metrics-listen on an address other than loopback')
    .option('--access-log <-|file>', 'one JSON line per request, to standard output (-) or appended to a file');
}
