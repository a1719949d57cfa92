/**
 * Client chains OpenSSL accepts at the handshake (as Node runs it) but the gateway's client-chain policy refuses,
 * each with its good twin, made at test time (forge-certificate.ts) for the socket-level tests of `serve` and
 * `proxy`: each case is presented in a real handshake and must get 403 (or 200 for a twin). Two trusted roots: a
 * plain one and one with name constraints; a third, `legacyRoot`, is trusted with `legacy` compatibility.
 */
import {
  extension,
  forgeCertificate,
  forgeIntermediate,
  forgeLeaf,
  forgeRoot,
  newKey,
  OID,
  type Forged,
} from './forge-certificate.ts';

const DAY_MS = 86_400_000;

export interface ChainCase {
  readonly name: string;
  /** PEM: the leaf, then what the client sends after it. */
  readonly cert: string;
  readonly key: string;
  /**
   * 403 (or 200 for a twin); `refused` where the client's own TLS stack may not present the certificate at all
   * (OpenSSL 3 will not sign a TLS 1.3 CertificateVerify with a P-192 key and sends none: 401): 401 or 403,
   * never the upstream.
   */
  readonly status: 200 | 403 | 'refused';
  /** The rule the gateway logs (403 cases); undefined where OpenSSL itself refuses first. */
  readonly rule?: string;
  /** Pinned TLS version; default: what the client and server negotiate (TLS 1.3). */
  readonly tls?: 'TLSv1.2';
  /**
   * The runtime's own TLS stack may refuse the key before any request (a newer OpenSSL without DSA or small
   * curves in its signature algorithms): a failed handshake counts as refused too, nothing having reached the
   * upstream. Where the handshake completes, the status above is asserted.
   */
  readonly handshakeMayFail?: true;
  /**
   * The client's cipher string. OpenSSL 3.5 (Node 24) defaults to security level 2, which will not even load an
   * RSA-1024 key on the client side ("ee key too small"): the test client lowers its own level so that the
   * certificate reaches the gateway, whose refusal is what is tested.
   */
  readonly clientCiphers?: string;
}

export interface ChainCases {
  /** The plain trusted root. */
  readonly root: Forged;
  /** A trusted root with name constraints (dNSName and rfc822Name example.com). */
  readonly constrainedRoot: Forged;
  /** Trusted with `legacy` compatibility; conforming itself, so it could be switched to `strict`. */
  readonly legacyRoot: Forged;
  /** Presented to strict and legacy trust alike: 403 under `strict`, 200 under `legacy`. */
  readonly legacyOnly: readonly ChainCase[];
  /** The same everywhere. */
  readonly cases: readonly ChainCase[];
}

const chain = (...certificates: Forged[]): string => certificates.map((certificate) => certificate.pem).join('');

export function makeChainCases(): ChainCases {
  const root = forgeRoot('CN=Strict Client Root,O=Portcullis Tests');
  const constrainedRoot = forgeRoot('CN=Constrained Client Root,O=Portcullis Tests', {
    nameConstraints: { permitted: [{ dns: 'example.com' }, { email: 'example.com' }] },
  });
  const legacyRoot = forgeRoot('CN=Legacy Client Root,O=Portcullis Tests');
  const ica = forgeIntermediate(root, 'CN=Client Issuing CA,O=Portcullis Tests');
  const leafCase = (
    name: string,
    status: ChainCase['status'],
    rule: string | undefined,
    options: Parameters<typeof forgeLeaf>[2] = {},
    issuer: Forged = root,
    tls?: 'TLSv1.2',
  ): ChainCase => {
    const leaf = forgeLeaf(issuer, `CN=${name.replace(/[^a-z0-9-]+/gi, '-').slice(0, 60)}`, options);
    return { name, cert: leaf.pem, key: leaf.key.keyPem, status, ...(rule && { rule }), ...(tls && { tls }) };
  };
  const oldRoot = forgeRoot('CN=Retired Client Root,O=Portcullis Tests');
  const expiredCross = forgeCertificate({
    subject: root.subject,
    key: root.key,
    issuer: oldRoot,
    ca: true,
    notBefore: new Date(Date.now() - 400 * DAY_MS),
    notAfter: new Date(Date.now() - DAY_MS),
  });
  const viaIca = forgeLeaf(ica, 'CN=via-intermediate');
  const emptyNcIca = forgeIntermediate(root, 'CN=Empty Constraints CA', { nameConstraints: {} });
  const underEmptyNc = forgeLeaf(emptyNcIca, 'CN=under-empty-constraints');
  const noAkiIca = forgeIntermediate(legacyRoot, 'CN=Legacy Issuing CA', { authorityKeyIdentifier: false });
  const underNoAkiIca = forgeLeaf(noAkiIca, 'CN=under-legacy-intermediate');
  return {
    root,
    constrainedRoot,
    legacyRoot,
    legacyOnly: [
      {
        name: 'a leaf without authorityKeyIdentifier',
        ...pair(forgeLeaf(legacyRoot, 'CN=no-aki', { authorityKeyIdentifier: false })),
        status: 403,
        rule: 'missing-authority-key-identifier',
      },
      {
        name: 'an intermediate without authorityKeyIdentifier',
        cert: chain(underNoAkiIca, noAkiIca),
        key: underNoAkiIca.key.keyPem,
        status: 403,
        rule: 'missing-authority-key-identifier',
      },
    ],
    cases: [
      leafCase('an ECDSA P-256 leaf', 200, undefined),
      {
        ...leafCase('an RSA-1024 leaf', 403, 'weak-rsa-key', { key: newKey({ rsa: 1024 }) }),
        clientCiphers: 'DEFAULT:@SECLEVEL=0',
      },
      leafCase('an RSA-2048 leaf', 200, undefined, { key: newKey({ rsa: 2048 }) }),
      leafCase('an RSA-2052 leaf (not a multiple of 8)', 403, 'rsa-modulus-not-multiple-of-8', {
        key: newKey({ rsa: 2052 }),
      }),
      {
        ...leafCase('a DSA leaf over TLS 1.2', 403, 'dsa-key', { key: newKey('dsa') }, root, 'TLSv1.2'),
        handshakeMayFail: true,
      },
      leafCase('an ECDSA P-256 leaf over TLS 1.2', 200, undefined, {}, root, 'TLSv1.2'),
      { ...leafCase('a P-192 leaf', 'refused', undefined, { key: newKey('p192') }), handshakeMayFail: true },
      leafCase('an ECDSA P-384 leaf', 200, undefined, { key: newKey('p384') }),
      leafCase('an Ed25519 leaf', 200, undefined, { key: newKey('ed25519') }),
      leafCase('an Ed448 leaf', 200, undefined, { key: newKey('ed448') }),
      leafCase('a leaf with CA:TRUE and no keyCertSign', 403, 'leaf-is-ca', {
        ca: true,
        keyUsage: 0x01,
        eku: [OID.clientAuth],
      }),
      leafCase('a leaf with CA:FALSE and keyCertSign', 403, 'leaf-key-cert-sign', { keyUsage: 0x01 | 0x20 }),
      leafCase('a leaf with name constraints', 403, 'leaf-name-constraints', {
        nameConstraints: { permitted: [{ dns: 'example.com' }] },
      }),
      leafCase('a leaf with serial number 0', 403, 'serial-zero', { serial: new Uint8Array([0]) }),
      leafCase('a leaf with a negative serial number', 403, 'serial-negative', { serial: new Uint8Array([0xff, 1]) }),
      leafCase('a leaf with a 22-octet serial number', 403, 'serial-too-long', {
        serial: new Uint8Array(22).fill(0x42),
      }),
      leafCase('a leaf with a 20-octet serial number', 200, undefined, { serial: new Uint8Array(20).fill(0x42) }),
      leafCase(
        'a leaf with a critical extension OpenSSL knows but the gateway does not enforce',
        403,
        'unknown-critical-extension',
        {
          extensions: [extension('2.16.840.1.113730.1.1', new Uint8Array([3, 2, 7, 0x80]), true)],
        },
      ),
      leafCase('a leaf with a malformed authorityInfoAccess', 403, 'malformed-authority-info-access', {
        extensions: [extension(OID.authorityInfoAccess, Buffer.from('http://ca.example/ca.crt'))],
      }),
      leafCase('a leaf with the subjectAltName twice', 403, undefined, {
        extensions: [
          extension(OID.subjectAltName, new Uint8Array([0x30, 0x03, 0x82, 0x01, 0x61])),
          extension(OID.subjectAltName, new Uint8Array([0x30, 0x03, 0x82, 0x01, 0x62])),
        ],
      }),
      leafCase(
        'a leaf whose dNSName ".example.com" is malformed under a dNSName constraint',
        403,
        'name-constraints-violated',
        {
          san: [{ dns: '.example.com' }],
        },
        constrainedRoot,
      ),
      leafCase(
        'a leaf whose rfc822Name has two @ under an rfc822Name constraint',
        403,
        'name-constraints-violated',
        {
          san: [{ email: 'invalid@address@example.com' }],
        },
        constrainedRoot,
      ),
      leafCase(
        'a leaf within the name constraints',
        200,
        undefined,
        {
          san: [{ dns: 'device.example.com' }, { email: 'ops@example.com' }],
        },
        constrainedRoot,
      ),
      {
        name: 'a leaf under an intermediate with empty name constraints',
        cert: chain(underEmptyNc, emptyNcIca),
        key: underEmptyNc.key.keyPem,
        status: 403,
        rule: 'name-constraints-empty',
      },
      { name: 'a leaf under a conforming intermediate', cert: chain(viaIca, ica), key: viaIca.key.keyPem, status: 200 },
      {
        // The path OpenSSL verifies ends at the trusted root; the expired cross-certificate of that root, sent
        // along, is on no path: it must not make the connection expire.
        name: 'a chain with an unused expired cross-certificate of the root',
        cert: chain(viaIca, ica, expiredCross),
        key: viaIca.key.keyPem,
        status: 200,
      },
    ],
  };
}

function pair(forged: Forged): { cert: string; key: string } {
  return { cert: forged.pem, key: forged.key.keyPem };
}
