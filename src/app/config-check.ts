/**
 * checkConfigFile: `portcullis config check`, a dry run of a `portcullis.yaml` on this machine, with
 * no gateway running. The file goes through the same two steps as `serve --config`
 * (docs/reference/config-file.md): loadGatewayConfig (YAML, keys, types, every file it names, each
 * certificate held to the admin API's checks), then the planner AND its writes, through the real use
 * cases, into a throwaway SQLite store in a temporary directory with a throwaway master key. So a
 * file refused here is refused by a real apply with the same error (GW_ERR_CONFIG_*, exit 3), and a
 * file that passes would apply to a new gateway. What depends on a running gateway's own contents
 * (a zone another account of that gateway already claims) is only known when that gateway applies it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadGatewayConfig } from '../config/load-gateway-config.ts';
import { buildServices } from '../control/build-services.ts';
import { ConfigApplier, type ApplyResult } from '../control/config-file/config-applier.ts';
import { createLogger } from '../observability/logger.ts';
import { PublicPki } from '../runtime-config/public-pki.ts';
import { openStore } from '../store/open-store.ts';
import { SecretBox } from '../store/secret-box.ts';

export interface ConfigCheckResult extends ApplyResult {
  readonly accounts: number;
  readonly zones: number;
}

export async function checkConfigFile(file: string): Promise<ConfigCheckResult> {
  // Loaded before anything is created, as serve does (app/serve.ts, checkBeforeCreating).
  const config = await loadGatewayConfig(file);
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-config-check-'));
  try {
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'check.db') });
    try {
      const serviceOptions = {
        box: new SecretBox(randomBytes(32)),
        publicPki: new PublicPki(),
        publicUrl: () => 'https://127.0.0.1:8443',
      };
      const applier = new ConfigApplier(
        store,
        (transaction) => buildServices({ store: transaction, ...serviceOptions }),
        createLogger('silent'),
      );
      const result = await applier.apply(config);
      return {
        ...result,
        accounts: config.accounts.length,
        zones: config.accounts.reduce((sum, account) => sum + account.zones.length, 0),
      };
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
