/** The `--log-level` option shared by the commands that run a server (proxy, serve, demo). */
import { Option } from 'commander';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const;

export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level (JSON lines on stdout)').choices(LOG_LEVELS).default('info');
}
