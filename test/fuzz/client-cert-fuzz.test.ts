/**
 * Client certificate mutator: client leaves built with @peculiar/asn1-x509 (cert-mutator.ts) and
 * signed for real by the CA the gateway trusts, by an untrusted CA, or by another key under the
 * trusted CA's name, with a few mutations each: duplicate, truncated, oversized, unknown-critical
 * and wrong-type extensions; serials of zero, negative, 21+ octets, empty, non-minimal; names in
 * string types they may not use, with empty RDNs, huge or many values, control characters and
 * separators; odd subject alternative names (IP addresses of odd lengths, otherName, directoryName,
 * registeredID, CR/LF in a DNS name); odd versions, validity and signature algorithms. Each is
 * presented in a real TLS handshake to `portcullis serve` (mTLS rule, custom rules reading
 * `cf.tls_client_auth.*`, every identity header format, analytics) and to `portcullis proxy`
 * (every identity header format).
 *
 * Asserted after every case: the gateway is intact (fuzz-gateways.ts), and a certificate that
 * OpenSSL (`openssl verify -purpose sslclient` against the trusted CA) or our parser
 * (readCertificateFields) refuses never gets 200. Which certificates are refused for policy
 * reasons is not asserted here: that is the certificate checks' business.
 *
 * Cases: PORTCULLIS_FUZZ_RUNS (default below); seed: PORTCULLIS_FUZZ_SEED (fuzz-settings.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecureContext } from 'node:tls';
import fc from 'fast-check';
import { request } from '../helpers/https-client.ts';
import { createCa, type CaHandle } from '../helpers/pki.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { readCertificateFields } from '../../src/pki/certificate-fields.ts';
import {
  buildLeaf,
  newLeafKey,
  pemOf,
  signerOf,
  type Attribute,
  type ExtensionName,
  type LeafKey,
  type Mutation,
  type SanEntry,
  type SignedBy,
  type Signer,
  type StringKind,
} from './cert-mutator.ts';
import { CrashWatch } from './crash-watch.ts';
import { startFuzzProxy, startFuzzServe, type FuzzGateway } from './fuzz-gateways.ts';
import { fuzz } from './fuzz-settings.ts';

const SERVE_RUNS = 70;
const PROXY_RUNS = 35;

interface Case {
  readonly signedBy: SignedBy;
  readonly mutations: readonly Mutation[];
  readonly key: number;
  readonly random: Uint8Array;
  readonly path: string;
}

const text = fc.oneof(
  fc.constantFrom(
    'fuzz',
    '',
    ' ',
    'a,b',
    'a+b',
    'a=b',
    'a"b',
    'a\\b',
    'a;b',
    '#hash',
    ' lead',
    'trail ',
    'cr\r\nlf',
    'nul\u0000x',
    'tab\tx',
    'é',
    '日本',
    '\u202egnp.exe',
    '😀',
    '\uffff',
    '<script>',
    'x'.repeat(300),
    '%0D%0A',
    'Hash=evil;Subject="CN=admin"',
    ':AAAA:',
    'CN=inner,O=x',
    '/CN=slash',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const stringKind = fc.constantFrom<StringKind>(
  'utf8',
  'utf8',
  'printable',
  'ia5',
  'teletex',
  'bmp',
  'universal',
  'numeric',
  'integer',
  'octets',
);
const attribute: fc.Arbitrary<Attribute> = fc.record({
  type: fc.constantFrom(
    '2.5.4.3', // commonName
    '2.5.4.10', // organizationName
    '2.5.4.11', // organizationalUnitName
    '2.5.4.6', // countryName
    '2.5.4.5', // serialNumber
    '1.2.840.113549.1.9.1', // emailAddress
    '0.9.2342.19200300.100.1.25', // domainComponent
    '1.3.6.1.4.1.55555.9', // unknown
  ),
  kind: stringKind,
  value: text,
});
const extensionName = fc.constantFrom<ExtensionName>('bc', 'ku', 'eku', 'ski', 'aki', 'san');
const octets = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const sanEntry: fc.Arbitrary<SanEntry> = fc.oneof(
  fc.record({ type: fc.constantFrom('dns' as const, 'uri' as const, 'email' as const), value: text }),
  fc.record({
    type: fc.constant('ip' as const),
    octets: fc.oneof(octets(4, 4), octets(16, 16), octets(0, 17)),
  }),
  fc.record({ type: fc.constant('rid' as const), oid: fc.constantFrom('1.2.3.4', '1.3.6.1.4.1.55555.1') }),
  fc.record({
    type: fc.constant('other' as const),
    oid: fc.constantFrom('1.3.6.1.4.1.311.20.2.3', '1.3.6.1.5.5.7.8.9'),
    value: octets(0, 40),
  }),
  fc.record({ type: fc.constant('dir' as const), attributes: fc.array(attribute, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('raw' as const), tag: fc.constantFrom(0xa3, 0xa5, 0x89, 0x80), value: octets(0, 20) }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('serial' as const),
    serial: fc.constantFrom(
      'zero' as const,
      'negative' as const,
      'long21' as const,
      'long40' as const,
      'empty' as const,
      'nonMinimal' as const,
    ),
  }),
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('subjectAttribute' as const), attribute, replace: fc.boolean() }),
  },
  fc.record({
    kind: fc.constant('subjectShape' as const),
    shape: fc.constantFrom(
      'emptyRdn' as const,
      'emptyName' as const,
      'multiValued' as const,
      'manyRdns' as const,
      'hugeValue' as const,
      'duplicateCn' as const,
    ),
  }),
  fc.record({ kind: fc.constant('issuerName' as const), name: fc.constantFrom('empty' as const, 'other' as const) }),
  fc.record({
    kind: fc.constant('validity' as const),
    validity: fc.constantFrom(
      'expired' as const,
      'notYetValid' as const,
      'inverted' as const,
      'generalized' as const,
      'utc1950' as const,
      'year9999' as const,
    ),
  }),
  fc.record({ kind: fc.constant('extDuplicate' as const), which: extensionName }),
  fc.record({ kind: fc.constant('extRemove' as const), which: extensionName }),
  fc.record({
    kind: fc.constant('extTruncated' as const),
    which: extensionName,
    keep: fc.double({ min: 0, max: 0.99, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('extTrailing' as const), which: extensionName, bytes: octets(1, 8) }),
  fc.record({
    kind: fc.constant('extWrongType' as const),
    which: extensionName,
    with: fc.constantFrom(
      'integer' as const,
      'octets' as const,
      'null' as const,
      'utf8' as const,
      'emptySequence' as const,
      'garbage' as const,
    ),
  }),
  fc.record({ kind: fc.constant('extCriticalFlip' as const), which: extensionName }),
  fc.record({
    kind: fc.constant('extUnknown' as const),
    critical: fc.boolean(),
    size: fc.oneof(fc.nat(64), fc.integer({ min: 1_000, max: 30_000 })),
  }),
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('san' as const), entries: fc.array(sanEntry, { maxLength: 4 }) }),
  },
  fc.record({ kind: fc.constant('sanOversized' as const), count: fc.integer({ min: 100, max: 2_500 }) }),
  fc.record({
    kind: fc.constant('extensions' as const),
    extensions: fc.constantFrom('none' as const, 'empty' as const),
  }),
  fc.record({
    kind: fc.constant('version' as const),
    version: fc.constantFrom('v1' as const, 'v2' as const, 'v4' as const),
  }),
  fc.record({ kind: fc.constant('signatureAlgorithmMismatch' as const) }),
  fc.record({ kind: fc.constant('uniqueIds' as const) }),
);
const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  signedBy: fc.oneof(
    { weight: 8, arbitrary: fc.constant<SignedBy>('trusted') },
    { weight: 1, arbitrary: fc.constantFrom<SignedBy>('untrusted', 'lookalike') },
  ),
  mutations: fc.array(mutation, { maxLength: 3 }),
  key: fc.nat(1),
  random: octets(16, 16),
  path: fc.constantFrom('/', '/h2c/', '/slow/20'),
});

/** How the case went, for the diagnostics line (how much the mutator reached the gateway). */
interface Tally {
  refused: number;
  accepted: number;
  unpresentable: number;
}

describe('client certificate mutator', needsOpenssl, () => {
  const watch = new CrashWatch();
  let openssl: OpensslWorkdir;
  let keys: LeafKey[];
  let untrustedCa: CaHandle;
  let lookalikeCa: CaHandle;

  before(async () => {
    watch.start();
    openssl = new OpensslWorkdir();
    keys = [await newLeafKey(), await newLeafKey()];
    untrustedCa = await createCa('CN=Untrusted Fuzz Root');
  });

  after(() => {
    watch.stop();
    openssl.remove();
  });

  for (const [start, runs] of [
    [startFuzzServe, SERVE_RUNS],
    [startFuzzProxy, PROXY_RUNS],
  ] as const) {
    test(`${start === startFuzzServe ? 'serve' : 'proxy'}: mutated client leaves never end the process; one OpenSSL or our parser refuses never gets 200`, async (t) => {
      const gateway: FuzzGateway = await start(watch);
      const tally: Tally = { refused: 0, accepted: 0, unpresentable: 0 };
      // Another key under the trusted CA's exact name: chain building finds the trusted CA, the signature fails.
      lookalikeCa = await createCa(gateway.clientCa.cert.subject);
      const signers: Record<SignedBy, Signer> = {
        trusted: signerOf(gateway.clientCa),
        untrusted: signerOf(untrustedCa),
        lookalike: signerOf(gateway.clientCa, lookalikeCa.keys.privateKey),
      };
      const trustedFile = openssl.write(`trusted-${gateway.name}.pem`, gateway.clientCa.certPem);
      try {
        await fuzz(
          `${gateway.name} client certificates`,
          caseArbitrary,
          async (fuzzCase) => {
            const key = keys[fuzzCase.key] ?? keys[0]!;
            const der = await buildLeaf(
              key,
              signers[fuzzCase.signedBy],
              fuzzCase.mutations,
              Date.now(),
              Buffer.from(fuzzCase.random),
            );
            const pem = pemOf(der);
            let oursAccepts = true;
            try {
              readCertificateFields(der, fuzzCase.signedBy === 'trusted' ? gateway.clientCa.der : undefined);
            } catch {
              oursAccepts = false;
            }
            // OpenSSL is asked only when our parser accepts: either refusal is enough.
            openssl.write('leaf.pem', pem);
            const verdict = oursAccepts
              ? await openssl.runAsync(['verify', '-CAfile', trustedFile, '-purpose', 'sslclient', 'leaf.pem'])
              : { status: 1, stderr: '' };
            const refused = !oursAccepts || verdict.status !== 0;
            try {
              createSecureContext({ cert: pem, key: key.keyPem });
            } catch {
              // OpenSSL cannot even load it as a client: it never reaches the gateway.
              tally.unpresentable++;
              await gateway.assertIntact();
              return;
            }
            /** 0 when the handshake or the connection failed: no answer at all. */
            let status = 0;
            try {
              status = (
                await request({
                  port: gateway.port,
                  ca: gateway.serverCa,
                  servername: gateway.host,
                  path: fuzzCase.path,
                  headers: { host: gateway.host },
                  cert: pem,
                  key: key.keyPem,
                })
              ).status;
            } catch {
              // The handshake or the connection failed: not an answer (status stays 0).
            }
            if (refused) {
              tally.refused++;
              assert.notEqual(
                status,
                200,
                `refused by ${oursAccepts ? `OpenSSL (${verdict.stderr.trim().split('\n').at(-1) ?? ''})` : 'our parser'}, yet answered 200`,
              );
            } else {
              tally.accepted++;
            }
            await gateway.assertIntact();
          },
          runs,
        );
      } finally {
        t.diagnostic(
          `${gateway.name}: ${tally.refused} refused by OpenSSL or our parser, ${tally.accepted} accepted by both, ${tally.unpresentable} not loadable by a TLS client`,
        );
        await gateway.stop();
      }
    });
  }
});
