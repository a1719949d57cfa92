/**
 * Reads the bootstrap secrets a config file's `est:` names (gateway-config-est.ts): from a file
 * (its content, without the trailing line break) or an environment variable of `serve`. A secret
 * must be long enough to resist guessing over the network; it is never put in a message.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DeclaredEst, DeclaredEstProfile, DeclaredEstSecret } from './gateway-config-est.ts';
import { configInvalid, excerpt } from './yaml-cursor.ts';

/** 16 printable characters at the least: what a person could still type, far from guessable online. */
const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 512;
const MAX_SECRET_FILE_BYTES = 4096;

export interface LoadedEstSecret extends DeclaredEstSecret {
  readonly secret: string;
}

export type LoadedEstProfile = Omit<DeclaredEstProfile, 'secrets'> & {
  readonly secrets: { readonly value: readonly LoadedEstSecret[]; readonly where: string } | undefined;
};

export interface LoadedEst {
  readonly where: string;
  readonly profiles: readonly LoadedEstProfile[];
}

export async function loadEstSecrets(
  est: DeclaredEst | undefined,
  directory: string,
  env: NodeJS.ProcessEnv,
): Promise<LoadedEst | undefined> {
  if (est === undefined) return undefined;
  const profiles: LoadedEstProfile[] = [];
  for (const profile of est.profiles) {
    if (profile.secrets === undefined) {
      profiles.push({ ...profile, secrets: undefined });
      continue;
    }
    const value: LoadedEstSecret[] = [];
    for (const secret of profile.secrets.value)
      value.push({ ...secret, secret: await readSecret(secret, directory, env) });
    profiles.push({ ...profile, secrets: { value, where: profile.secrets.where } });
  }
  return { where: est.where, profiles };
}

async function readSecret(secret: DeclaredEstSecret, directory: string, env: NodeJS.ProcessEnv): Promise<string> {
  let text: string;
  let where: string;
  if ('file' in secret.source) {
    const { file } = secret.source;
    where = file.where;
    try {
      const resolved = path.resolve(directory, file.value);
      const info = await stat(resolved);
      if (!info.isFile() || info.size > MAX_SECRET_FILE_BYTES) throw new Error('not a small regular file');
      text = (await readFile(resolved, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw configInvalid(
        where,
        `cannot read ${excerpt(file.value)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  } else {
    const { env: variable } = secret.source;
    where = variable.where;
    const value = env[variable.value];
    if (value === undefined || value === '')
      throw configInvalid(where, `the environment variable ${excerpt(variable.value)} is not set`);
    text = value;
  }
  if (text.length < MIN_SECRET_LENGTH || text.length > MAX_SECRET_LENGTH || !/^[\x21-\x7e]+$/.test(text)) {
    throw configInvalid(
      where,
      `the secret must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} printable ASCII characters without spaces (e.g. openssl rand -base64 24)`,
    );
  }
  return text;
}
