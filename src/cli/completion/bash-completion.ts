/**
 * The bash completion script for the command tree (command-tree.ts): subcommands after a command (or the choices
 * of its argument), its options after `-`, an option's choices after it, and file names after an option that takes any other value. zsh runs
 * the same function through bashcompinit (zsh's own `compsys` module that accepts bash completion functions).
 * Every word written into the script is a command name, a flag or a choice, checked to be a plain token, so no
 * quoting is needed and nothing a command defines can break out of the script.
 */
import type { CommandNode } from './command-tree.ts';

const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._:/+=-]*$|^--?[A-Za-z0-9][A-Za-z0-9-]*$/;

function words(items: readonly string[]): string {
  for (const item of items) {
    if (!TOKEN.test(item)) throw new Error(`"${item}" cannot go into a completion script`);
  }
  return items.join(' ');
}

export function bashCompletion(name: string, tree: readonly CommandNode[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const cases = (body: (node: CommandNode) => string | undefined): string =>
    tree
      .map((node) => {
        const value = body(node);
        return value === undefined
          ? undefined
          : `    "${words(node.path === '' ? [] : node.path.split(' '))}") echo "${value}" ;;`;
      })
      .filter((line): line is string => line !== undefined)
      .join('\n');
  const choiceCases = tree
    .flatMap((node) =>
      node.options
        .filter((option) => option.choices.length > 0)
        .flatMap((option) =>
          option.flags.map(
            (flag) =>
              `    "${words(node.path === '' ? [] : node.path.split(' '))}|${words([flag])}") echo "${words(option.choices)}" ;;`,
          ),
        ),
    )
    .join('\n');
  const valueCases = tree
    .flatMap((node) =>
      node.options
        .filter((option) => option.takesValue)
        .flatMap((option) =>
          option.flags.map((flag) => `"${words(node.path === '' ? [] : node.path.split(' '))}|${words([flag])}"`),
        ),
    )
    .join('|');
  return `# ${name} completion for bash and zsh, generated from the command definitions by \`${name} completion\`.
${fn}_subcommands() {
  case "$1" in
${cases((node) => (node.subcommands.length > 0 ? words(node.subcommands) : node.argumentChoices.length > 0 ? words(node.argumentChoices) : undefined))}
  esac
}
${fn}_options() {
  case "$1" in
${cases((node) => words(node.options.flatMap((option) => option.flags)))}
  esac
}
${fn}_choices() {
  case "$1" in
${choiceCases}
  esac
}
${fn}_takes_value() {
  case "$1" in
    ${valueCases === '' ? '"")' : `${valueCases})`} return 0 ;;
  esac
  return 1
}
${fn}() {
  local cur prev path word i subs
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  [ "$COMP_CWORD" -gt 0 ] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    subs=" $(${fn}_subcommands "$path") "
    case "$subs" in *" $word "*) path="\${path:+$path }$word" ;; esac
  done
  local choices
  choices="$(${fn}_choices "$path|$prev")"
  if [ -n "$choices" ]; then
    COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    return 0
  fi
  if ${fn}_takes_value "$path|$prev"; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_options "$path")" -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "$(${fn}_subcommands "$path")" -- "$cur"))
  return 0
}
if [ -n "\${ZSH_VERSION:-}" ]; then
  autoload -U +X bashcompinit && bashcompinit
fi
complete -o default -F ${fn} ${name}
`;
}
