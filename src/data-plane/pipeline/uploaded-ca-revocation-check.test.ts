import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createCa, type CaHandle, type Issued } from '../../../test/helpers/pki.ts';
import {
  AccountRevocation,
  type OcspQuestion,
  type OcspStatusSource,
  type OcspVerdict,
  type UploadedCaRevocation,
} from '../../runtime-config/uploaded-ca-revocation.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';
import { checkUploadedCaRevocation } from './uploaded-ca-revocation-check.ts';
import { serialForLookup } from '../../pki/serial.ts';

const OCSP = { timeoutMs: 1000, nonce: false, maxCacheMs: 60_000, allowPrivateAddresses: false };

describe('checkUploadedCaRevocation', () => {
  let ca: CaHandle;
  let caCert: X509Certificate;
  let leaf: Issued;

  before(async () => {
    ca = await createCa('CN=Check CA');
    caCert = new X509Certificate(ca.certPem);
    leaf = await ca.issue({ subject: 'CN=device' });
  });

  const identityOf = (issued: Issued, issuer = caCert, chain: X509Certificate[] = []): ConnectionIdentity => {
    const leaf = new X509Certificate(issued.certPem);
    return {
      presented: true,
      verified: true,
      leaf,
      serialKey: serialForLookup(leaf.serialNumber),
      fingerprint256: issued.sha256,
      issuerFingerprint256: issuer.fingerprint256,
      chain,
      verifiedChain: chain,
    } as unknown as ConnectionIdentity;
  };

  const uploaded = (overrides: Partial<UploadedCaRevocation> = {}): UploadedCaRevocation => ({
    mtlsCertificateId: 'ca-1',
    failMode: 'fail_closed',
    crlRequired: false,
    discoverCrlUrls: false,
    crls: new Map(),
    ocsp: undefined,
    blockedSha256: new Set(),
    blockedSerials: new Set(),
    caCertificates: [caCert],
    ...overrides,
  });

  const events = () => {
    const seen: string[] = [];
    return {
      seen,
      observer: {
        unavailable: (id: string, reason: string, allowed: boolean) => seen.push(`${id} ${reason} ${allowed}`),
        crlMissing: (id: string) => seen.push(`${id} crl missing`),
      },
    };
  };

  test('blocked by the account or by the CA, by SHA-256 or by serial', () => {
    const now = Date.now();
    const byAccount = new AccountRevocation([], { sha256: [leaf.sha256] });
    assert.deepEqual(checkUploadedCaRevocation(identityOf(leaf), byAccount, now, {}), {
      kind: 'revoked',
      source: 'block_list',
    });
    const bySerial = new AccountRevocation([uploaded({ blockedSerials: new Set([leaf.serialHex]) })]);
    assert.equal(checkUploadedCaRevocation(identityOf(leaf), bySerial, now, {}).kind, 'revoked');
    assert.deepEqual(checkUploadedCaRevocation(identityOf(leaf), new AccountRevocation([uploaded()]), now, {}), {
      kind: 'good',
    });
  });

  test('a required CRL: listed → revoked; missing or stale → unknown, as the CA fails', () => {
    const now = Date.now();
    const fresh = { serials: new Set([leaf.serialHex]), nextUpdateMs: now + 60_000 };
    const listed = new AccountRevocation([
      uploaded({ crlRequired: true, crls: new Map([[caCert.fingerprint256, fresh]]) }),
    ]);
    assert.deepEqual(checkUploadedCaRevocation(identityOf(leaf), listed, now, {}), { kind: 'revoked', source: 'crl' });

    const { seen, observer } = events();
    const missing = new AccountRevocation([uploaded({ crlRequired: true, discoverCrlUrls: true })]);
    assert.deepEqual(checkUploadedCaRevocation(identityOf(leaf), missing, now, { observer }), {
      kind: 'unknown',
      reason: 'crl_missing',
      allowed: false,
    });
    assert.deepEqual(seen, ['ca-1 crl missing', 'ca-1 crl_missing false']);

    const stale = { serials: new Set<string>(), nextUpdateMs: now };
    const open = new AccountRevocation([
      uploaded({ crlRequired: true, failMode: 'fail_open', crls: new Map([[caCert.fingerprint256, stale]]) }),
    ]);
    assert.deepEqual(checkUploadedCaRevocation(identityOf(leaf), open, now, {}), {
      kind: 'unknown',
      reason: 'crl_stale',
      allowed: true,
    });
  });

  test('OCSP: pending without a cached answer; the answer decides; no source is unknown', async () => {
    const now = Date.now();
    const asked: OcspQuestion[] = [];
    const source = (cached: OcspVerdict | undefined): OcspStatusSource => ({
      cached: () => cached,
      check: (question) => {
        asked.push(question);
        return Promise.resolve({ status: 'good' });
      },
    });
    const account = new AccountRevocation([uploaded({ ocsp: OCSP })]);
    const pending = checkUploadedCaRevocation(identityOf(leaf), account, now, { ocsp: source(undefined) });
    assert.ok(pending.kind === 'pending');
    const [question] = asked;
    assert.ok(question !== undefined);
    assert.equal(question.key, `${caCert.fingerprint256}/${leaf.sha256}`);
    assert.equal(question.issuer.fingerprint256, caCert.fingerprint256);
    assert.deepEqual(await pending.answer, { status: 'good' });
    const revoked: OcspVerdict = { status: 'revoked' };
    assert.equal(
      checkUploadedCaRevocation(identityOf(leaf), account, now, { ocsp: source(undefined), answered: revoked }).kind,
      'revoked',
    );
    assert.deepEqual(checkUploadedCaRevocation(identityOf(leaf), account, now, { ocsp: source({ status: 'good' }) }), {
      kind: 'good',
    });
    assert.deepEqual(checkUploadedCaRevocation(identityOf(leaf), account, now, {}), {
      kind: 'unknown',
      reason: 'ocsp_failed',
      allowed: false,
    });
    // A CRL that already fails closed: the client is not made to wait for OCSP too.
    const both = new AccountRevocation([uploaded({ ocsp: OCSP, crlRequired: true })]);
    assert.equal(checkUploadedCaRevocation(identityOf(leaf), both, now, { ocsp: source(undefined) }).kind, 'unknown');
  });

  test('a leaf issued by an intermediate the client sent is judged by the uploaded CA its chain ends at', async () => {
    const intermediate = await ca.intermediate('CN=Issuing CA');
    const child = await intermediate.issue({ subject: 'CN=child' });
    const intermediateCert = new X509Certificate(intermediate.certPem);
    const account = new AccountRevocation([uploaded({ blockedSerials: new Set([child.serialHex]) })]);
    const identity = identityOf(child, intermediateCert, [intermediateCert]);
    assert.equal(checkUploadedCaRevocation(identity, account, Date.now(), {}).kind, 'revoked');
    const required = new AccountRevocation([uploaded({ crlRequired: true })]);
    assert.deepEqual(checkUploadedCaRevocation(identity, required, Date.now(), {}), {
      kind: 'unknown',
      reason: 'crl_missing',
      allowed: false,
    });
  });

  test('the same CA uploaded twice in one account: the stricter of both', () => {
    const open = uploaded({ mtlsCertificateId: 'a', failMode: 'fail_open', blockedSha256: new Set(['x']) });
    const closed = uploaded({ mtlsCertificateId: 'b', crlRequired: true, blockedSerials: new Set([leaf.serialHex]) });
    const merged = new AccountRevocation([open, closed]).forIssuer(caCert.fingerprint256);
    assert.ok(merged !== undefined);
    assert.equal(merged.failMode, 'fail_closed');
    assert.equal(merged.crlRequired, true);
    assert.deepEqual([...merged.blockedSha256], ['x']);
    assert.deepEqual([...merged.blockedSerials], [leaf.serialHex]);
  });
});
