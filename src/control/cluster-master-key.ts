/**
 * The master key a gateway runs with, agreed with its store before anything is sealed with it.
 * Every gateway of a cluster must hold the same key (PORTCULLIS_MASTER_KEY, or the same master.key
 * in each data dir); a gateway with another key could not open the CA keys the others sealed. So:
 *
 *   the key: PORTCULLIS_MASTER_KEY, else <data-dir>/master.key (store/master-key.ts)
 *   ├ none, and the store already holds sealed secrets ─✗ refused; no master.key is made (it would
 *   │                                                       open nothing)
 *   ├ none, and the store is new                        → master.key is created
 *   └ then the edge CA, the store's first sealed secret (created now when missing), must open with
 *     the key ─✗ refused; a master.key made by this start is removed again (another gateway sealed
 *     the store first, with its own key)
 *
 * A refusal is GW_ERR_CONFIG_MASTER_KEY (exit 3) saying how to give this gateway the cluster's key.
 */
import { unlink } from 'node:fs/promises';
import { GW_ERR_CONFIG_MASTER_KEY, GW_ERR_DATA_DIR_WRITE_FAILED, type GatewayError } from '../errors/index.ts';
import { MASTER_KEY_ENV, MASTER_KEY_FILE, createMasterKeyFile, findMasterKey } from '../store/master-key.ts';
import type { SettingsStore } from '../store/ports.ts';
import { SealedSecretError } from '../store/secret-box.ts';
import { edgeCaExists } from './certificates/edge-ca-service.ts';

export interface ClusterMasterKeyOptions {
  readonly store: SettingsStore;
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Told when a new key file was created (the operator must back it up). */
  readonly onCreate: (file: string) => void;
}

export interface ClusterMasterKey {
  readonly key: Buffer;
  /** Where it came from, for messages. */
  readonly source: string;
  /**
   * Runs the first use of the key (opening, or creating, the edge CA): a secret that does not open
   * is refused as the wrong key, and a key file this start created is removed.
   */
  check<T>(firstUse: () => Promise<T>): Promise<T>;
}

/** Finds (or, for a new store only, creates) the key; refuses a gateway that has none for a sealed store. */
export async function resolveClusterMasterKey(options: ClusterMasterKeyOptions): Promise<ClusterMasterKey> {
  let found;
  try {
    found = await findMasterKey(options);
  } catch (error) {
    throw GW_ERR_CONFIG_MASTER_KEY.create((error as Error).message, error);
  }
  let created: string | undefined;
  if (found === undefined) {
    if (await edgeCaExists(options.store)) {
      throw GW_ERR_CONFIG_MASTER_KEY.create(
        `this gateway has none (neither ${MASTER_KEY_ENV} nor ${MASTER_KEY_FILE} in ${options.dataDir}), and the store ` +
          `already holds secrets sealed by another gateway. ${SAME_KEY_HINT}`,
      );
    }
    let file;
    try {
      file = await createMasterKeyFile(options.dataDir);
    } catch (error) {
      throw GW_ERR_DATA_DIR_WRITE_FAILED.create((error as Error).message, error);
    }
    if (file.isNew) {
      created = file.file;
      options.onCreate(file.file);
    }
    found = { key: file.key, source: file.file };
  }
  const { key, source } = found;
  return {
    key,
    source,
    async check(firstUse) {
      try {
        return await firstUse();
      } catch (error) {
        if (!(error instanceof SealedSecretError)) throw error;
        if (created !== undefined) await unlink(created).catch(() => undefined);
        throw wrongKey(source, error);
      }
    },
  };
}

/** A sealed secret of the store does not open with the key from `source`. */
export function wrongKey(source: string, cause: unknown): GatewayError {
  return GW_ERR_CONFIG_MASTER_KEY.create(
    `the key from ${source} does not open the secrets in the store (they were sealed with another key). ` +
      SAME_KEY_HINT,
    cause,
  );
}

const SAME_KEY_HINT =
  `Every gateway of a cluster needs the same master key: set ${MASTER_KEY_ENV} to it (64 hex characters) on ` +
  `each, or copy ${MASTER_KEY_FILE} (mode 600) from the data dir of the gateway that created it`;
