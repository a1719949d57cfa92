/**
 * `--workers N|auto` of `portcullis serve` and `portcullis proxy` (docs/adr/0018-workers.md): how
 * many processes serve the gateway port. 1 (the default) is one process, as without the option;
 * `auto` is one per core the process may use (os.availableParallelism()).
 */
import { availableParallelism } from 'node:os';
import { GW_ERR_USAGE } from '../errors/index.ts';

export const WORKERS_OPTION = '--workers';
export const WORKERS_HELP = 'processes serving the gateway port: a number, or auto (one per core); 1: one process';
/** More would only be a typo: each worker holds its own snapshot and store connection. */
export const MAX_WORKERS = 256;

export function parseWorkers(text: string | undefined, cores: () => number = availableParallelism): number {
  if (text === undefined) return 1;
  if (text === 'auto') return Math.min(MAX_WORKERS, Math.max(1, cores()));
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > MAX_WORKERS) {
    throw GW_ERR_USAGE.create(`${WORKERS_OPTION} takes a number from 1 to ${MAX_WORKERS} or auto, got "${text}"`);
  }
  return Number(text);
}
