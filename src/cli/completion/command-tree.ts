/**
 * The command tree of the CLI as data, read from the commander definitions: every command path with its
 * subcommands and options (whether an option takes a value, and its choices). Completion scripts are generated
 * from it, so they cannot drift from the commands.
 */
import type { Command } from 'commander';

export interface OptionNode {
  readonly flags: readonly string[];
  readonly takesValue: boolean;
  readonly choices: readonly string[];
}

export interface CommandNode {
  /** Space-separated names below the program: `''` for the program itself, `cert issue`. */
  readonly path: string;
  readonly subcommands: readonly string[];
  readonly options: readonly OptionNode[];
  /** The choices of the command's first argument (`completion <bash|zsh>`), if it has any. */
  readonly argumentChoices: readonly string[];
}

/** Every command of the program, depth first, the program first. */
export function commandTree(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string): void => {
    const visible = command.commands.filter((sub) => !(sub as unknown as { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      subcommands: visible.map((sub) => sub.name()),
      options: [
        ...command.options
          .filter((option) => !option.hidden)
          .map((option) => ({
            flags: [option.long, option.short].filter((flag): flag is string => flag !== undefined),
            takesValue: option.required || option.optional,
            choices: option.argChoices ?? [],
          })),
        { flags: ['--help', '-h'], takesValue: false, choices: [] },
      ],
      argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
    });
    for (const sub of visible) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  visit(program, '');
  return nodes;
}
