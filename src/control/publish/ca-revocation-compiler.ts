/**
 * compileCaRevocations: the revocation of every account's uploaded CAs, as the data plane reads it
 * (runtime-config/uploaded-ca-revocation.ts), built once per snapshot from what the store says:
 * settings, CRLs in force and block lists. One AccountRevocation per account that has any of them;
 * accounts without are absent, and their requests pay nothing for this.
 *
 * What each uploaded CA gets:
 *   CRL required     when fetching is on, or a CRL is in force (uploaded or fetched)
 *   learns its CDPs  when fetching is on without configured URLs
 *   OCSP             when on, with its timeout, nonce, cache bound and address policy
 *   blocks           its own list; the account's list applies to every CA of the account
 * Rows of a CA that is no longer an uploaded CA of its account are ignored.
 */
import type { Store } from '../../store/ports.ts';
import type { MtlsCertificateRecord } from '../../model/records.ts';
import { ACCOUNT_BLOCK_SCOPE, type CertificateBlockRecord } from '../../store/ca-revocation-records.ts';
import {
  AccountRevocation,
  type CrlInForce,
  type UploadedCaRevocation,
} from '../../runtime-config/uploaded-ca-revocation.ts';
import { bundleCaCertificates } from '../revocation/ca-revocation-service.ts';
import { withDefaults } from '../revocation/ca-revocation-input.ts';

export async function compileCaRevocations(
  store: Store,
  mtlsCertificates: readonly MtlsCertificateRecord[],
): Promise<Map<string, AccountRevocation>> {
  const [settings, crls, blocks] = await Promise.all([
    store.listAllCaRevocations(),
    store.listAllCaCrls(),
    store.listAllCertificateBlocks(),
  ]);
  const settingsOf = new Map(settings.map((record) => [record.mtlsCertificateId, record.settings]));
  const crlsOf = groupBy(crls, (crl) => crl.mtlsCertificateId);
  const blocksOf = groupBy(blocks, (block) => `${block.accountId}/${block.scope}`);

  const cas = new Map<string, UploadedCaRevocation[]>();
  for (const certificate of mtlsCertificates) {
    if (!certificate.ca) continue;
    const stored = settingsOf.get(certificate.id);
    const caCrls = crlsOf.get(certificate.id) ?? [];
    const caBlocks = blocksOf.get(`${certificate.accountId}/${certificate.id}`) ?? [];
    if (stored === undefined && caCrls.length === 0 && caBlocks.length === 0) continue;
    const config = withDefaults(stored);
    const crlMap = new Map<string, CrlInForce>(
      caCrls.map((crl) => [
        crl.issuerFingerprint,
        { serials: new Set(crl.revokedSerials), nextUpdateMs: Date.parse(crl.nextUpdate) },
      ]),
    );
    const list = cas.get(certificate.accountId) ?? [];
    list.push({
      mtlsCertificateId: certificate.id,
      failMode: config.onUnavailable,
      crlRequired: config.crlFetch.enabled || crlMap.size > 0,
      discoverCrlUrls: config.crlFetch.enabled && config.crlFetch.urls.length === 0,
      crls: crlMap,
      ocsp: config.ocsp.enabled
        ? {
            timeoutMs: config.ocsp.timeoutMs,
            nonce: config.ocsp.nonce,
            maxCacheMs: config.ocsp.maxCacheSeconds * 1000,
            allowPrivateAddresses: config.allowPrivateAddresses,
          }
        : undefined,
      blockedSha256: values(caBlocks, 'sha256'),
      blockedSerials: values(caBlocks, 'serial'),
      caCertificates: bundleCaCertificates(certificate),
    });
    cas.set(certificate.accountId, list);
  }

  const accounts = new Set([...cas.keys(), ...blocks.filter(isAccountWide).map((block) => block.accountId)]);
  const compiled = new Map<string, AccountRevocation>();
  for (const accountId of accounts) {
    const accountBlocks = blocksOf.get(`${accountId}/${ACCOUNT_BLOCK_SCOPE}`) ?? [];
    compiled.set(
      accountId,
      new AccountRevocation(cas.get(accountId) ?? [], {
        sha256: values(accountBlocks, 'sha256'),
        serials: values(accountBlocks, 'serial'),
      }),
    );
  }
  return compiled;
}

function isAccountWide(block: CertificateBlockRecord): boolean {
  return block.scope === ACCOUNT_BLOCK_SCOPE;
}

function values(blocks: readonly CertificateBlockRecord[], kind: CertificateBlockRecord['kind']): Set<string> {
  return new Set(blocks.filter((block) => block.kind === kind).map((block) => block.value));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}
