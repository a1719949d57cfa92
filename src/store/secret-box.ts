/**
 * SecretBox: seals private keys (CA keys, edge keys, uploaded leaf keys) before they reach the
 * store, with AES-256-GCM under the master key. Sealed text is `v1:` + base64(iv | tag | ciphertext):
 * a fresh 12-byte IV per seal, a 16-byte tag that makes tampering or a wrong key fail to open.
 * Errors never carry the content, sealed or plain.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export { loadMasterKey, type MasterKeyOptions } from './master-key.ts';

/** A sealed secret that does not open: the wrong master key, or altered data. */
export class SealedSecretError extends Error {
  constructor(reason: string) {
    super(`Cannot open a sealed secret: ${reason}`);
    this.name = 'SealedSecretError';
  }
}

const VERSION_PREFIX = 'v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new Error(`The master key must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return VERSION_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  open(sealed: string): string {
    if (!sealed.startsWith(VERSION_PREFIX)) throw new SealedSecretError('unknown format (expected v1:)');
    const bytes = Buffer.from(sealed.slice(VERSION_PREFIX.length), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealedSecretError('it is truncated');
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedSecretError('wrong master key, or the sealed data was altered');
    }
  }
}
