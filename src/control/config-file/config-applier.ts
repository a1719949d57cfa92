/**
 * ConfigApplier: applies the `serve --config` file (docs/reference/config-file.md) through the same
 * use cases as the admin API, acting as the operator (a global edit principal, `config-file`).
 *
 *   load (config/load-gateway-config.ts)   YAML, keys, types, files, certificates   ─✗ exit 3 / logged
 *    └ plan (config-plan.ts)               store read, every other check            ─✗ exit 3 / logged
 *       └ writes, in order                 only what differs from the store; APIs before the
 *                                          policies that name them, dropped policies last
 *
 * Plan and writes run in ONE store transaction, through services bound to it: nothing is written
 * unless the whole file passed its checks, and a write that fails part way (the store failing, an
 * admin API change racing the apply) rolls back the writes before it, so the running configuration
 * is either the old one or the file's, never a mix. Applies are serialised: one that comes while
 * another runs waits for it, and the transaction first takes the store's config-apply lock, so
 * gateways of a cluster starting together with the same file apply it one after the other (the
 * later ones find it applied and write nothing). With SQLite other store work waits while an apply
 * runs (one connection).
 * The caller republishes the gateway snapshot after an apply (at start, the first compile follows it).
 */
import type { Logger } from 'pino';
import type { Store } from '../../store/ports.ts';
import { loadGatewayConfig, type GatewayConfig } from '../../config/load-gateway-config.ts';
import type { Principal } from '../access-policy.ts';
import { planConfig } from './config-plan.ts';
import { type ChangeKind, type ConfigServices } from './plan-parts.ts';

/** Who the file's writes are made as: the operator, like the bootstrap token. */
export const CONFIG_FILE_PRINCIPAL: Principal = { id: 'config-file', scope: { kind: 'global' }, permission: 'edit' };
/** The settings row whose lock every apply holds (Store.lockSetting). */
const CONFIG_APPLY_LOCK = 'config_apply_lock';

export interface ApplyResult {
  /** Writes made; 0 when the store already said what the file says. */
  readonly writes: number;
  /** Writes by what they changed (`{ zone: 1, routes: 1 }`). */
  readonly changes: Partial<Record<ChangeKind, number>>;
}

/** The use cases the file is applied through, bound to the apply's transaction. */
export type ConfigServicesOf = (transaction: Store) => ConfigServices;

export class ConfigApplier {
  readonly #store: Store;
  readonly #servicesOf: ConfigServicesOf;
  readonly #logger: Logger;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: Store, servicesOf: ConfigServicesOf, logger: Logger) {
    this.#store = store;
    this.#servicesOf = servicesOf;
    this.#logger = logger;
  }

  /** Reads `file` and applies it; logs `config applied` with what changed. */
  applyFile(file: string): Promise<ApplyResult> {
    return this.#enqueue(() => loadGatewayConfig(file));
  }

  /** Applies a file already read and checked by loadGatewayConfig (at start, before the store opened). */
  applyLoaded(config: GatewayConfig): Promise<ApplyResult> {
    return this.#enqueue(() => Promise.resolve(config));
  }

  #enqueue(load: () => Promise<GatewayConfig>): Promise<ApplyResult> {
    const run = this.#queue.then(async () => {
      const config = await load();
      const result = await this.apply(config);
      this.#logger.info({ file: config.file, ...countsOf(config), ...result }, 'config applied');
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Plans (every check) then writes, in one transaction. Exported for tests that build the model themselves. */
  apply(config: GatewayConfig): Promise<ApplyResult> {
    return this.#store.transaction(async (transaction) => {
      await transaction.lockSetting(CONFIG_APPLY_LOCK);
      const { ids, writes } = await planConfig(config, this.#servicesOf(transaction), CONFIG_FILE_PRINCIPAL);
      const changes: Partial<Record<ChangeKind, number>> = {};
      for (const [index, write] of writes.entries()) {
        try {
          await write.run(ids);
        } catch (error) {
          // Checked beforehand, so this is the store failing or an admin API call racing the apply.
          this.#logger.error(
            { file: config.file, failed: write.target, done: index, of: writes.length, err: (error as Error).message },
            'config apply failed part way: rolled back, nothing of the file was written',
          );
          throw error;
        }
        changes[write.kind] = (changes[write.kind] ?? 0) + 1;
      }
      return { writes: writes.length, changes };
    });
  }
}

/** What the file declares, for the log line. */
function countsOf(config: GatewayConfig): Record<string, number> {
  const zones = config.accounts.flatMap((account) => account.zones);
  return {
    accounts: config.accounts.length,
    zones: zones.length,
    cas: config.accounts.reduce((sum, account) => sum + account.cas.length, 0),
    routes: zones.reduce((sum, zone) => sum + zone.routes.length, 0),
    rules: zones.reduce((sum, zone) => sum + zone.rules.length + (zone.mtlsRule === undefined ? 0 : 1), 0),
    apis: zones.reduce((sum, zone) => sum + zone.apis.length, 0),
    policies: config.accounts.reduce((sum, account) => sum + (account.policies?.value.length ?? 0), 0),
  };
}
