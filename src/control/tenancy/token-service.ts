/**
 * TokenService: API tokens. A token's secret is shown once, at creation; the store keeps only its
 * SHA-256. The bootstrap token (global, edit) is made on first start so the operator can begin.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_AUTH_FORBIDDEN,
  GW_ERR_AUTH_INVALID,
  GW_ERR_CONFIG_INVALID,
} from '../../errors/index.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { ApiTokenRecord, HexId, TokenPermission, TokenScope } from '../../model/records.ts';
import { isWithin, type Principal } from '../access-policy.ts';
import { isoSeconds, newHexId } from '../ids.ts';

/** Prefix that makes a leaked Portcullis token recognisable to secret scanners. */
export const TOKEN_PREFIX = 'pcl_';
/** PORTCULLIS_ADMIN_TOKEN must be at least this long. */
const MIN_PRESET_SECRET_LENGTH = 20;
/**
 * Claimed (insert if absent) by the one gateway of a cluster that makes the bootstrap token, so
 * that gateways starting together on an empty store make one token, not one each.
 */
const BOOTSTRAP_CLAIM_SETTING = 'bootstrap_token_created_at';

/** Refuses a PORTCULLIS_ADMIN_TOKEN too short to be a secret (checked before anything is created). */
export function checkPresetSecret(presetSecret: string | undefined): void {
  if (presetSecret !== undefined && presetSecret.length < MIN_PRESET_SECRET_LENGTH) {
    throw GW_ERR_CONFIG_INVALID.create(
      `PORTCULLIS_ADMIN_TOKEN must be at least ${MIN_PRESET_SECRET_LENGTH} characters`,
    );
  }
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export interface CreateTokenInput {
  name: string;
  scope: TokenScope;
  permission: TokenPermission;
  expiresOn?: string | null;
}

export class TokenService {
  readonly #store: Store;
  readonly #now: () => Date;

  constructor(store: Store, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  /** Resolves a bearer secret to its principal, or throws GW_ERR_AUTH_INVALID. */
  async authenticate(secret: string): Promise<ApiTokenRecord> {
    const record = await this.#store.getTokenBySecretHash(hashSecret(secret));
    // The lookup is by hash; compare again in constant time so timing says nothing about near misses.
    if (record === undefined || !timingSafeEqual(Buffer.from(record.secretHash), Buffer.from(hashSecret(secret)))) {
      throw GW_ERR_AUTH_INVALID.create();
    }
    return this.#usable(record);
  }

  /**
   * The token with this id, if it is usable now (active, within its dates), or GW_ERR_AUTH_INVALID.
   * A dashboard session names its token by id and asks again on every request, so revoking or
   * expiring the token ends its sessions at once.
   */
  async authenticateId(id: HexId): Promise<ApiTokenRecord> {
    const record = await this.#store.getToken(id);
    if (record === undefined) throw GW_ERR_AUTH_INVALID.create();
    return this.#usable(record);
  }

  #usable(record: ApiTokenRecord): ApiTokenRecord {
    const now = this.#now().getTime();
    if (record.status !== 'active') throw GW_ERR_AUTH_INVALID.create();
    if (record.expiresOn !== null && Date.parse(record.expiresOn) <= now) throw GW_ERR_AUTH_INVALID.create();
    if (record.notBefore !== null && Date.parse(record.notBefore) > now) throw GW_ERR_AUTH_INVALID.create();
    return record;
  }

  async create(principal: Principal, input: CreateTokenInput): Promise<{ record: ApiTokenRecord; secret: string }> {
    if (!isWithin(input.scope, input.permission, principal))
      throw GW_ERR_AUTH_FORBIDDEN.create('create a token broader than itself');
    if (input.scope.kind === 'account' && (await this.#store.getAccount(input.scope.accountId)) === undefined) {
      throw GW_ERR_API_VALIDATION.create(`unknown account ${input.scope.accountId}`);
    }
    if (input.scope.kind === 'zone') {
      const zone = await this.#store.getZone(input.scope.zoneId);
      if (zone === undefined || zone.accountId !== input.scope.accountId) {
        throw GW_ERR_API_VALIDATION.create(`unknown zone ${input.scope.zoneId}`);
      }
    }
    if (input.expiresOn != null && Number.isNaN(Date.parse(input.expiresOn))) {
      throw GW_ERR_API_VALIDATION.create('expires_on must be an RFC 3339 date-time');
    }
    const secret = newTokenSecret();
    const record: ApiTokenRecord = {
      id: newHexId(),
      name: input.name,
      secretHash: hashSecret(secret),
      scope: input.scope,
      permission: input.permission,
      status: 'active',
      createdAt: isoSeconds(this.#now()),
      notBefore: null,
      expiresOn: input.expiresOn ?? null,
    };
    await this.#store.createToken(record);
    return { record, secret };
  }

  async list(principal: Principal): Promise<ApiTokenRecord[]> {
    const all = await this.#store.listTokens();
    return all.filter((token) => token.id === principal.id || isWithin(token.scope, token.permission, principal));
  }

  async revoke(principal: Principal, id: string): Promise<ApiTokenRecord> {
    const token = await this.#store.getToken(id);
    if (token === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/user/tokens/${id}`);
    if (principal.permission !== 'edit' || !isWithin(token.scope, token.permission, principal)) {
      throw GW_ERR_AUTH_FORBIDDEN.create('revoke this token');
    }
    await this.#store.setTokenStatus(id, 'disabled');
    return { ...token, status: 'disabled' };
  }

  /**
   * Makes sure an operator token exists. With `presetSecret` (PORTCULLIS_ADMIN_TOKEN) that secret is
   * registered; otherwise, when the store has no token yet, a new one is made, handed to `save`
   * (which writes `<data-dir>/admin-token`) BEFORE it is committed — a secret that cannot be saved
   * (a full disk) leaves no token nobody knows — and returned. Returns undefined when nothing was
   * created. Safe for gateways starting together on one store: the preset secret is inserted if
   * absent (its hash is unique) and read back; the new token is made by the one gateway that claims
   * it, and only that one saves it.
   */
  async ensureBootstrapToken(
    presetSecret: string | undefined,
    save: (secret: string) => Promise<void> = () => Promise.resolve(),
  ): Promise<string | undefined> {
    if (presetSecret !== undefined) {
      checkPresetSecret(presetSecret);
      const secretHash = hashSecret(presetSecret);
      if ((await this.#store.getTokenBySecretHash(secretHash)) !== undefined) return undefined;
      try {
        await this.#store.createToken(this.#bootstrapRecord(presetSecret));
      } catch (error) {
        // Registered by another gateway since the read above: theirs is the same secret.
        if (!(error instanceof StoreConflictError)) throw error;
      }
      if ((await this.#store.getTokenBySecretHash(secretHash)) === undefined) {
        throw new Error('The PORTCULLIS_ADMIN_TOKEN token could not be stored');
      }
      return undefined;
    }
    return this.#store.transaction(async (store) => {
      if ((await store.listTokens()).length > 0) return undefined;
      if (!(await store.putSettingIfAbsent(BOOTSTRAP_CLAIM_SETTING, isoSeconds(this.#now())))) return undefined;
      const secret = newTokenSecret();
      await store.createToken(this.#bootstrapRecord(secret));
      await save(secret);
      return secret;
    });
  }

  #bootstrapRecord(secret: string): ApiTokenRecord {
    return {
      id: newHexId(),
      name: 'bootstrap',
      secretHash: hashSecret(secret),
      scope: { kind: 'global' },
      permission: 'edit',
      status: 'active',
      createdAt: isoSeconds(this.#now()),
      notBefore: null,
      expiresOn: null,
    };
  }
}
