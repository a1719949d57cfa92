/**
 * Developers of the portal (docs/adr/0017): sign-up in the operator's mode (open, approval: the
 * account waits for the operator, invite: only with an invitation link), sign-in by email and
 * password, password change, and password reset by a one-time link the operator makes (no mail
 * server is assumed: the operator hands the link over). Links are 256 random bits shown once; only
 * their SHA-256 is stored, they expire and are used once.
 *
 * Developers are installation-wide (not of an account): only an operator (global) token manages them.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_PORTAL_DEVELOPER_INACTIVE,
  GW_ERR_PORTAL_EMAIL_TAKEN,
  GW_ERR_PORTAL_LINK_INVALID,
  GW_ERR_PORTAL_SIGNIN_FAILED,
  GW_ERR_PORTAL_SIGNUP_CLOSED,
} from '../../errors/index.ts';
import { StoreConflictError, type Store } from '../../store/ports.ts';
import type { HexId } from '../../model/records.ts';
import {
  DEVELOPER_STATUSES,
  type DeveloperStatus,
  type PortalDeveloperRecord,
  type PortalLinkKind,
  type PortalLinkRecord,
} from '../../model/portal-records.ts';
import { assertGlobal, type Principal } from '../access-policy.ts';
import { isoMicros, newHexId } from '../ids.ts';
import { DEFAULT_SCRYPT_COST, hashPassword, verifyPassword, type ScryptCost } from './password-hash.ts';
import { checkPassword, checkSignupMode, checkText, normaliseEmail, type SignupMode } from './portal-input.ts';

export const SIGNUP_MODE_SETTING = 'portal.signup_mode';
export const DEFAULT_SIGNUP_MODE: SignupMode = 'invite';
const DEFAULT_LINK_DAYS = 7;
const MAX_LINK_DAYS = 30;

export interface SignUpInput {
  email?: unknown;
  password?: unknown;
  name?: unknown;
  invitation?: unknown;
}

export interface CreatedLink {
  link: PortalLinkRecord;
  /** Shown once, only here. */
  secret: string;
}

export function hashLinkSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class PortalDeveloperService {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #cost: ScryptCost;
  /** Compared against when the email is unknown, so that an unknown email takes as long as a wrong password. */
  #decoy: Promise<string> | undefined;

  constructor(store: Store, options: { now?: () => Date; scryptCost?: ScryptCost } = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#cost = options.scryptCost ?? DEFAULT_SCRYPT_COST;
  }

  // The operator's side.

  async signupMode(): Promise<SignupMode> {
    const stored = await this.#store.getSetting(SIGNUP_MODE_SETTING);
    return stored === undefined ? DEFAULT_SIGNUP_MODE : checkSignupMode(stored);
  }

  async setSignupMode(principal: Principal, mode: unknown): Promise<SignupMode> {
    assertGlobal(principal, 'edit', 'change the portal sign-up mode');
    const checked = checkSignupMode(mode);
    await this.#store.putSetting(SIGNUP_MODE_SETTING, checked);
    return checked;
  }

  async list(principal: Principal): Promise<PortalDeveloperRecord[]> {
    assertGlobal(principal, 'read', 'list portal developers');
    return this.#store.listPortalDevelopers();
  }

  async get(principal: Principal, id: string): Promise<PortalDeveloperRecord> {
    assertGlobal(principal, 'read', 'read portal developers');
    return this.#find(id);
  }

  /** Approves a pending developer (active), or disables / re-enables one. */
  async setStatus(principal: Principal, id: string, status: unknown): Promise<PortalDeveloperRecord> {
    assertGlobal(principal, 'edit', 'change portal developers');
    if (typeof status !== 'string' || !(DEVELOPER_STATUSES as readonly string[]).includes(status)) {
      throw GW_ERR_API_VALIDATION.create(`status must be one of ${DEVELOPER_STATUSES.join(', ')}`);
    }
    const current = await this.#find(id);
    const record = { ...current, status: status as DeveloperStatus, modifiedOn: isoMicros(this.#now()) };
    await this.#store.updatePortalDeveloper(record);
    return record;
  }

  async createInvitation(principal: Principal, input: { email?: unknown; expires_in_days?: unknown }) {
    assertGlobal(principal, 'edit', 'invite portal developers');
    const email = input.email === undefined || input.email === '' ? '' : normaliseEmail(input.email);
    return this.#createLink('invite', email, null, input.expires_in_days);
  }

  async createPasswordReset(principal: Principal, id: string, input: { expires_in_days?: unknown } = {}) {
    assertGlobal(principal, 'edit', 'reset portal developers’ passwords');
    const developer = await this.#find(id);
    return this.#createLink('reset', developer.email, developer.id, input.expires_in_days ?? 1);
  }

  // The developer's side.

  /** A new developer: active, or pending the operator's approval in `approval` mode. */
  async signUp(input: SignUpInput): Promise<PortalDeveloperRecord> {
    const email = normaliseEmail(input.email);
    const password = checkPassword(input.password);
    const name = input.name === undefined ? '' : checkText(input.name, 'name', 0, 100);
    const mode = await this.signupMode();
    let link: PortalLinkRecord | undefined;
    if (input.invitation !== undefined && input.invitation !== '') {
      link = await this.#usableLink(input.invitation, 'invite');
      if (link.email !== '' && link.email !== email) throw GW_ERR_PORTAL_LINK_INVALID.create();
    } else if (mode === 'invite') {
      throw GW_ERR_PORTAL_SIGNUP_CLOSED.create();
    }
    const now = isoMicros(this.#now());
    const record: PortalDeveloperRecord = {
      id: newHexId(),
      email,
      name,
      passwordHash: await hashPassword(password, this.#cost),
      passwordChangedOn: now,
      status: link === undefined && mode === 'approval' ? 'pending' : 'active',
      createdOn: now,
      modifiedOn: now,
    };
    await this.#store.transaction(async (store) => {
      if (link !== undefined && !(await store.usePortalLink(link.id, now))) throw GW_ERR_PORTAL_LINK_INVALID.create();
      try {
        await store.createPortalDeveloper(record);
      } catch (error) {
        if (error instanceof StoreConflictError) throw GW_ERR_PORTAL_EMAIL_TAKEN.create();
        throw error;
      }
    });
    return record;
  }

  /** The developer with this email and password; one error for an unknown email and a wrong password. */
  async signIn(emailInput: unknown, password: unknown): Promise<PortalDeveloperRecord> {
    if (typeof emailInput !== 'string' || typeof password !== 'string' || password.length > 1024) {
      throw GW_ERR_PORTAL_SIGNIN_FAILED.create();
    }
    const developer = await this.#store.getPortalDeveloperByEmail(emailInput.trim().toLowerCase());
    if (developer === undefined) {
      this.#decoy ??= hashPassword(randomBytes(16).toString('hex'), this.#cost);
      await verifyPassword(password, await this.#decoy);
      throw GW_ERR_PORTAL_SIGNIN_FAILED.create();
    }
    if (!(await verifyPassword(password, developer.passwordHash))) throw GW_ERR_PORTAL_SIGNIN_FAILED.create();
    assertActive(developer);
    return developer;
  }

  /** The developer a session stands for, while active and signed in after the last password change. */
  async sessionDeveloper(id: string, issuedAtMs: number): Promise<PortalDeveloperRecord | undefined> {
    const developer = await this.#store.getPortalDeveloper(id);
    if (developer === undefined || developer.status !== 'active') return undefined;
    if (issuedAtMs < Date.parse(developer.passwordChangedOn)) return undefined;
    return developer;
  }

  async changePassword(id: HexId, current: unknown, next: unknown): Promise<PortalDeveloperRecord> {
    const developer = await this.#find(id);
    const password = checkPassword(next);
    if (typeof current !== 'string' || !(await verifyPassword(current, developer.passwordHash))) {
      throw GW_ERR_API_VALIDATION.create('current_password is wrong');
    }
    return this.#setPassword(developer, password);
  }

  async resetPassword(secret: unknown, next: unknown): Promise<PortalDeveloperRecord> {
    const password = checkPassword(next);
    const link = await this.#usableLink(secret, 'reset');
    const developer = link.developerId === null ? undefined : await this.#store.getPortalDeveloper(link.developerId);
    if (developer === undefined) throw GW_ERR_PORTAL_LINK_INVALID.create();
    if (!(await this.#store.usePortalLink(link.id, isoMicros(this.#now())))) throw GW_ERR_PORTAL_LINK_INVALID.create();
    return this.#setPassword(developer, password);
  }

  /** What a link is for, without using it (the page shows the invitation's email, or whose password it resets). */
  async describeLink(secret: unknown): Promise<{ kind: PortalLinkKind; email: string }> {
    const link = await this.#usableLink(secret, undefined);
    return { kind: link.kind, email: link.email };
  }

  async #setPassword(developer: PortalDeveloperRecord, password: string): Promise<PortalDeveloperRecord> {
    // Whole milliseconds: a session made in the same millisecond as the change stays valid.
    const now = new Date(Math.floor(this.#now().getTime()));
    const record: PortalDeveloperRecord = {
      ...developer,
      passwordHash: await hashPassword(password, this.#cost),
      passwordChangedOn: now.toISOString(),
      modifiedOn: isoMicros(now),
    };
    await this.#store.updatePortalDeveloper(record);
    return record;
  }

  async #createLink(
    kind: PortalLinkKind,
    email: string,
    developerId: HexId | null,
    days: unknown,
  ): Promise<CreatedLink> {
    const validDays = days ?? DEFAULT_LINK_DAYS;
    if (typeof validDays !== 'number' || !Number.isInteger(validDays) || validDays < 1 || validDays > MAX_LINK_DAYS) {
      throw GW_ERR_API_VALIDATION.create(`expires_in_days must be a whole number from 1 to ${MAX_LINK_DAYS}`);
    }
    const secret = randomBytes(32).toString('base64url');
    const now = this.#now();
    const link: PortalLinkRecord = {
      id: newHexId(),
      kind,
      secretHash: hashLinkSecret(secret),
      email,
      developerId,
      createdOn: isoMicros(now),
      expiresOn: isoMicros(new Date(now.getTime() + validDays * 86_400_000)),
      usedOn: null,
    };
    await this.#store.createPortalLink(link);
    return { link, secret };
  }

  async #usableLink(secret: unknown, kind: PortalLinkKind | undefined): Promise<PortalLinkRecord> {
    if (typeof secret !== 'string' || !/^[\w-]{43}$/.test(secret)) throw GW_ERR_PORTAL_LINK_INVALID.create();
    const link = await this.#store.getPortalLinkBySecretHash(hashLinkSecret(secret));
    const usable =
      link !== undefined &&
      (kind === undefined || link.kind === kind) &&
      link.usedOn === null &&
      Date.parse(link.expiresOn) > this.#now().getTime();
    if (!usable) throw GW_ERR_PORTAL_LINK_INVALID.create();
    return link;
  }

  async #find(id: string): Promise<PortalDeveloperRecord> {
    const developer = /^[0-9a-f]{32}$/.test(id) ? await this.#store.getPortalDeveloper(id) : undefined;
    if (developer === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/portal/developers/${id}`);
    return developer;
  }
}

function assertActive(developer: PortalDeveloperRecord): void {
  if (developer.status === 'pending') {
    throw GW_ERR_PORTAL_DEVELOPER_INACTIVE.create("waiting for the operator's approval");
  }
  if (developer.status === 'disabled') throw GW_ERR_PORTAL_DEVELOPER_INACTIVE.create('disabled by the operator');
}
