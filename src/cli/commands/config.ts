/**
 * `portcullis config check <portcullis.yaml>`: the file's dry run, on this machine (app/config-check.ts).
 * Exit 0 when a gateway would apply it; a refusal prints the same message and code as `serve --config`
 * and exits 3 (reportFailure in cli/index.ts).
 */
import type { Command } from 'commander';
import { EXIT_OK } from '../exit-codes.ts';
import { count, printResult } from '../output.ts';

export function registerConfigCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const config = program.command('config').description('the declarative configuration file (portcullis.yaml)');

  config
    .command('check')
    .description('dry run: refuse the file with the errors serve --config would give (exit 3), write nothing')
    .argument('<file>', 'the portcullis.yaml to check')
    .option('--json', 'print the result as JSON (for scripts)')
    .action((file: string, options: { json?: boolean }) => {
      setResult(
        (async () => {
          // Loaded here, not at the top: the other commands start faster without the store's modules.
          const { checkConfigFile } = await import('../../app/config-check.ts');
          const result = await checkConfigFile(file);
          printResult(
            options,
            { file, ...result },
            () =>
              `${file}: OK (${count(result.accounts, 'account')}, ${count(result.zones, 'zone')}; ${count(result.writes, 'write')} on a new gateway)`,
          );
          return EXIT_OK;
        })(),
      );
    });
}
