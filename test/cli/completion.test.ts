/**
 * `portcullis completion bash|zsh`, generated from the command definitions: the script printed by the real CLI is
 * sourced in bash and asked for completions as bash asks (COMP_WORDS / COMP_CWORD, then COMPREPLY): commands,
 * subcommands, options, an option's choices, files after an option that takes a file. zsh gets the same function
 * through bashcompinit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';

describe('portcullis completion', () => {
  let dir: string;
  let script: string;
  let zsh: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-completion-'));
    const [bash, zshResult] = await Promise.all([runCli(['completion', 'bash']), runCli(['completion', 'zsh'])]);
    assert.equal(bash.code, 0, bash.stderr);
    assert.equal(zshResult.code, 0, zshResult.stderr);
    script = path.join(dir, 'portcullis.bash');
    await writeFile(script, bash.stdout);
    zsh = zshResult.stdout;
    await writeFile(path.join(dir, 'device.csr'), '');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** What bash offers for the words typed so far (the last one being completed). */
  const offered = (...typed: string[]): string[] => {
    const program = [
      'set -e',
      `source ${JSON.stringify(script)}`,
      `COMP_WORDS=(${typed.map((word) => JSON.stringify(word)).join(' ')})`,
      `COMP_CWORD=${typed.length - 1}`,
      'COMPREPLY=()',
      '_portcullis',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', program], { cwd: dir, encoding: 'utf8' });
    return out.split('\n').filter((line) => line !== '');
  };

  test('the script is valid bash and registers the function', () => {
    execFileSync('bash', ['-n', script]);
    const registered = execFileSync(
      'bash',
      ['--norc', '-c', `source ${JSON.stringify(script)}; complete -p portcullis`],
      {
        encoding: 'utf8',
      },
    );
    assert.match(registered, /complete -o default -F _portcullis portcullis/);
  });

  test('top-level commands, then subcommands', () => {
    const top = offered('portcullis', '');
    const commands = [
      'serve',
      'proxy',
      'cert',
      'zone',
      'analytics',
      'headers',
      'expiring',
      'completion',
      'est',
      'portal',
    ];
    for (const command of [...commands, 'edge-cert', 'config']) {
      assert.ok(top.includes(command), `${command} in ${top.join(' ')}`);
    }
    assert.deepEqual(offered('portcullis', 'ce'), ['cert']);
    assert.deepEqual(offered('portcullis', 'cert', ''), [
      'issue',
      'list',
      'show',
      'revoke',
      'tag',
      'revoke-bulk',
      'reactivate',
      'inspect',
    ]);
    assert.deepEqual(offered('portcullis', 'zone', 'san-policy', 's'), ['show', 'set']);
    assert.deepEqual(offered('portcullis', 'completion', ''), ['bash', 'zsh']);
  });

  test('options of the command being typed, past options already given', () => {
    assert.deepEqual(offered('portcullis', 'cert', 'issue', '--zone', 'z1', '--ge'), ['--generate']);
    const serve = offered('portcullis', 'serve', '--');
    for (const flag of ['--listen', '--public-url', '--data-dir', '--help']) assert.ok(serve.includes(flag), flag);
  });

  test("an option's choices, and files after an option that takes a value", () => {
    assert.deepEqual(offered('portcullis', 'cert', 'list', '--status', 're'), ['revoked']);
    assert.deepEqual(offered('portcullis', 'analytics', 'summary', 'z1', '--group-by', ''), [
      'api',
      'key',
      'certificate',
      'status',
    ]);
    assert.deepEqual(offered('portcullis', 'cert', 'issue', '--csr', 'dev'), ['device.csr']);
  });

  test('zsh: the same function, loaded through bashcompinit', () => {
    assert.match(zsh, /autoload -U \+X bashcompinit && bashcompinit/);
    assert.match(zsh, /complete -o default -F _portcullis portcullis/);
  });

  test('anything but bash or zsh is a usage error', async () => {
    const fish = await runCli(['completion', 'fish']);
    assert.equal(fish.code, 2);
    assert.match(fish.stderr, /Allowed choices are bash, zsh/);
  });
});
