/**
 * RevocationIndex: revoked serials per issuing CA, built once from CRLs (RFC 5280 §5) and read per
 * request in O(1). A CRL is accepted only when it is signed by one of the trusted CAs (which must
 * allow cRLSign) and is not stale: a CRL past its nextUpdate is refused rather than ignored, since
 * ignoring it would fail open. For the same reason a CRL that goes stale while in use makes its CA's
 * certificates fail (`staleSince`), as OpenSSL's own CRL check does (X509_V_ERR_CRL_HAS_EXPIRED),
 * until a fresh one is loaded.
 */
import 'reflect-metadata';
import { X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { serialForLookup } from './serial.ts';
import { readPemBlocks } from './pem.ts';

/**
 * One issuer's revoked serials in lookup form (serialForLookup): a Set, or the keys of a Map that also holds each
 * serial's revocation time (the managed CA's, kept by the control plane for its CRL and OCSP answers).
 */
export interface RevokedSerialSet {
  has(serial: string): boolean;
  readonly size: number;
  keys(): Iterable<string>;
}

export class RevocationIndex {
  readonly #revokedByIssuer: ReadonlyMap<string, RevokedSerialSet>;
  /** The earliest nextUpdate (epoch ms) of each issuer's CRLs; issuers without a CRL file have none. */
  readonly #nextUpdateByIssuer: ReadonlyMap<string, number>;

  constructor(
    revokedByIssuer: ReadonlyMap<string, RevokedSerialSet> = new Map(),
    nextUpdateByIssuer: ReadonlyMap<string, number> = new Map(),
  ) {
    this.#revokedByIssuer = revokedByIssuer;
    this.#nextUpdateByIssuer = nextUpdateByIssuer;
  }

  /** `issuerFingerprint256` as Node formats it (`AB:CD:…`); `serial` in any hex form. */
  isRevoked(issuerFingerprint256: string, serial: string): boolean {
    return this.isRevokedLookupForm(issuerFingerprint256, serialForLookup(serial));
  }

  /** isRevoked for a serial already in lookup form (serialForLookup), as a connection keeps its leaf's. */
  isRevokedLookupForm(issuerFingerprint256: string, lookupSerial: string): boolean {
    return this.#revokedByIssuer.get(issuerFingerprint256)?.has(lookupSerial) === true;
  }

  /** When the issuer's CRL went stale (its nextUpdate, epoch ms) if it has by `nowMs`; else undefined. */
  staleSince(issuerFingerprint256: string, nowMs: number): number | undefined {
    const nextUpdate = this.#nextUpdateByIssuer.get(issuerFingerprint256);
    return nextUpdate !== undefined && nowMs >= nextUpdate ? nextUpdate : undefined;
  }

  get size(): number {
    let total = 0;
    for (const serials of this.#revokedByIssuer.values()) total += serials.size;
    return total;
  }
}

export interface CrlSource {
  readonly source: string;
  readonly pem: string;
}

export async function buildRevocationIndex(
  sources: readonly CrlSource[],
  cas: readonly NodeCertificate[],
  now = Date.now(),
): Promise<RevocationIndex> {
  const revoked = new Map<string, Set<string>>();
  const nextUpdates = new Map<string, number>();
  for (const { source, pem } of sources) {
    for (const block of readPemBlocks(pem)) {
      // "X509 CRL" is RFC 7468 §5 and OpenSSL's label; plain "CRL" is what some tools write.
      if (block.label !== 'X509 CRL' && block.label !== 'CRL') {
        throw new Error(`${source}: expected X509 CRL blocks, found ${block.label}`);
      }
      const crl = parseCrl(block.der, source);
      const issuer = await findSigningCa(crl, cas, source);
      const nextUpdate = crl.nextUpdate;
      if (nextUpdate === undefined) throw new Error(`${source}: CRL has no nextUpdate`);
      if (nextUpdate.getTime() <= now)
        throw new Error(`${source}: CRL is stale (nextUpdate ${nextUpdate.toISOString()})`);
      const earliest = nextUpdates.get(issuer.fingerprint256) ?? Number.POSITIVE_INFINITY;
      nextUpdates.set(issuer.fingerprint256, Math.min(earliest, nextUpdate.getTime()));
      const serials = revoked.get(issuer.fingerprint256) ?? new Set<string>();
      for (const entry of crl.entries) serials.add(serialForLookup(entry.serialNumber));
      revoked.set(issuer.fingerprint256, serials);
    }
  }
  return new RevocationIndex(revoked, nextUpdates);
}

function parseCrl(der: Buffer, source: string): x509.X509Crl {
  try {
    return new x509.X509Crl(der);
  } catch {
    throw new Error(`${source}: not a parseable CRL`);
  }
}

async function findSigningCa(
  crl: x509.X509Crl,
  cas: readonly NodeCertificate[],
  source: string,
): Promise<NodeCertificate> {
  for (const ca of cas) {
    const parsed = new x509.X509Certificate(ca.raw);
    if (!Buffer.from(parsed.subjectName.toArrayBuffer()).equals(Buffer.from(crl.issuerName.toArrayBuffer()))) continue;
    if (!(await crl.verify({ publicKey: parsed }))) continue;
    const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
    if (keyUsage !== null && (keyUsage.usages & x509.KeyUsageFlags.cRLSign) === 0) {
      throw new Error(`${source}: the issuing CA does not allow cRLSign`);
    }
    return ca;
  }
  throw new Error(`${source}: CRL is not signed by any of the client CAs`);
}
