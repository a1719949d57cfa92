/**
 * One style for ids on the command line: the id of the object a command acts on is a positional
 * argument (`portcullis key get <key-id>`), like `zone delete <zone-id>` and `ca delete <ca-id>`.
 * The `--id` option of earlier versions still works, with a warning on stderr, so scripts keep
 * running while they move to the positional form.
 */
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../errors/index.ts';

export interface IdOption {
  id?: string;
}

/** Adds `[<name>]` and the deprecated `--id <name>`; read the id with idOf. */
export function withIdArgument(command: Command, name: string, description: string): Command {
  return command
    .argument(`[${name}]`, description)
    .option(`--id <${name}>`, `deprecated: give the ${name} as an argument`);
}

/** The id given, positional or --id (warned about); a usage error (exit 2) when none or two different ones. */
export function idOf(positional: string | undefined, options: IdOption, name: string): string {
  if (options.id === undefined) {
    if (positional === undefined) throw GW_ERR_USAGE.create(`missing required argument '${name}'`);
    return positional;
  }
  if (positional !== undefined && positional !== options.id) {
    throw GW_ERR_USAGE.create(`two ids given: ${positional} and --id ${options.id}; give the ${name} once`);
  }
  process.stderr.write(`portcullis: warning: --id is deprecated; give the ${name} as an argument\n`);
  return options.id;
}
