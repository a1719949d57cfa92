/** The connection-limit flags shared by the commands that run the TLS listener (proxy, serve). */
import type { Command } from 'commander';
import { DEFAULT_CONNECTION_LIMITS } from '../config/connection-limits.ts';

export function addConnectionLimitOptions(command: Command): Command {
  return command
    .option(
      '--max-connections <n>',
      'connections open at once, all clients together; more are closed before the TLS handshake (0: no cap)',
      String(DEFAULT_CONNECTION_LIMITS.maxConnections),
    )
    .option(
      '--max-connections-per-client <n>',
      'connections open at once from one IPv4 address or IPv6 /64 (0: no cap)',
      String(DEFAULT_CONNECTION_LIMITS.maxConnectionsPerClient),
    )
    .option(
      '--first-request-timeout <duration>',
      'a connection that sends no request this long after its handshake is closed',
      `${DEFAULT_CONNECTION_LIMITS.firstRequestTimeoutMs / 1000}s`,
    );
}
