/**
 * `portcullis completion bash|zsh`: prints the shell completion script, generated from the command definitions
 * (completion/command-tree.ts). Install: `portcullis completion bash > /etc/bash_completion.d/portcullis`, or
 * `source <(portcullis completion zsh)` in ~/.zshrc.
 */
import { Argument, type Command } from 'commander';
import { bashCompletion } from '../completion/bash-completion.ts';
import { commandTree } from '../completion/command-tree.ts';
import { printLine } from '../output.ts';

/** Registered last: the script describes every command registered before it, this one included. */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .action(() => {
      // zsh takes the same script through bashcompinit (see bash-completion.ts).
      printLine(bashCompletion(program.name(), commandTree(program)).trimEnd());
    });
}
