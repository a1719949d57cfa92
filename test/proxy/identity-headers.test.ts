/**
 * Identity headers that `portcullis proxy` sends upstream, over real TLS with certificates made at test time,
 * against the HTTP/1.1 echo upstream (and HTTP/2 clients for spoofing): the exact xfcc / rfc9440 / cf values
 * (expected values come from OpenSSL's own printout of the certificate and from the test PKI, not from the code
 * under test), `none`, client-sent identity headers stripped whatever the format, hostile subjects that must not
 * break a header or add an XFCC element, and X-Forwarded-* / hop-by-hop handling.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import type { Issued, NameInput } from '../helpers/pki.ts';
import { createTestPki, serverCaPem, startTestProxy, type TestPki } from '../helpers/proxy-fixture.ts';
import { startHttp1Echo, type EchoRecord, type RunningUpstream } from '../helpers/upstreams.ts';
import { request } from '../helpers/https-client.ts';
import { connectH2, h2Request } from '../helpers/h2-client.ts';

type Proxy = Awaited<ReturnType<typeof startTestProxy>>;
type Headers = EchoRecord['headers'];

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Names that carry a client-certificate identity in some product (XFCC, RFC 9440, Cloudflare, nginx, Apache,
 * Traefik, AWS, Azure), `-` or `_` spelled. Written here independently of src/.
 */
const IDENTITY_NAME =
  /^(?:x[-_]forwarded[-_]client[-_]cert|client[-_]cert|cf[-_]cert[-_]|cf[-_]client[-_]cert|x[-_]ssl[-_]|x[-_]client[-_](?:cert|verify|dn)|ssl[-_]client[-_]|x[-_]forwarded[-_]tls[-_]client|x[-_]amzn[-_]mtls|x[-_]arr[-_]clientcert)/;

/** The identity headers among those the upstream received. */
function identityHeaders(headers: Headers): Record<string, Headers[string]> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => IDENTITY_NAME.test(name)));
}

/** One header value as a string (fails the test when it arrived as several values). */
function single(headers: Headers, name: string): string {
  const value = headers[name];
  assert.equal(typeof value, 'string', `${name}: ${JSON.stringify(value)}`);
  return value as string;
}

/** `:<base64 of the DER>:` (RFC 8941 byte sequence). */
const byteSequence = (der: Buffer): string => `:${der.toString('base64')}:`;

/** Quotes a value the way XFCC does: `"` and `\` backslash-escaped, inside double quotes. */
const xfccQuoted = (value: string): string => `"${value.replace(/["\\]/g, '\\$&')}"`;

/**
 * Splits an XFCC element into its `key=value` pairs: `;` separates pairs except inside a quoted value, where `\`
 * escapes the next character. Quoted values are returned unquoted.
 */
function parseXfccElement(text: string): [string, string][] {
  const pairs: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted && c === '\\') {
      current += c + text.charAt(i + 1);
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (c === ';' && !quoted) {
      pairs.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  assert.equal(quoted, false, 'quotes are balanced');
  pairs.push(current);
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    assert.ok(eq > 0, `key=value: ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const value = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    return [key, value];
  });
}

/** An HTTP/1.1 request whose header lines are sent exactly as given (name case, duplicates, order). */
function rawRequest(
  port: number,
  ca: string,
  client: Issued,
  headerLines: [string, string][],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        path: '/raw',
        ca,
        cert: client.certPem,
        key: client.keyPem,
        agent: false,
        // A flat [name, value, …] array is written verbatim by node (same format as rawHeaders).
        headers: [['Host', 'localhost'], ...headerLines].flat() as unknown as OutgoingHttpHeaders,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('proxy identity headers', () => {
  let pki: TestPki;
  let upstream: RunningUpstream;
  let ca: string;
  const proxies: Record<'xfcc' | 'rfc9440' | 'cf' | 'all' | 'none', Proxy> = {} as never;
  const sessions: ClientHttp2Session[] = [];
  const certs: Record<string, Issued> = {};
  let intermediate: Issued;
  let written = 0;

  /** Fields of a certificate as OpenSSL prints them (RFC 2253 and "compat" names, serial, dates, key ids). */
  async function openssl(cert: Issued): Promise<Record<string, string>> {
    const file = await pki.write(`cert-${written++}.pem`, cert.certPem);
    const run = (...args: string[]): string =>
      execFileSync('openssl', ['x509', '-in', file, '-noout', ...args], { encoding: 'utf8' });
    const fields: Record<string, string> = {};
    const read = (prefix: string, text: string): void => {
      for (const line of text.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) fields[prefix + line.slice(0, eq)] = line.slice(eq + 1);
      }
    };
    read('', run('-serial', '-subject', '-issuer', '-nameopt', 'RFC2253', '-startdate', '-enddate'));
    read('compat.', run('-subject', '-issuer', '-nameopt', 'compat'));
    read('', run('-fingerprint', '-sha1').replace(/^sha1 Fingerprint=/i, 'sha1='));
    // "X509v3 Subject Key Identifier: \n    AB:CD:…" → ABCD…
    const keyId = (ext: string): string => {
      const text = run('-ext', ext);
      const hex = text.split('\n')[1]?.trim() ?? '';
      return hex.replaceAll(':', '');
    };
    fields.ski = keyId('subjectKeyIdentifier');
    fields.aki = keyId('authorityKeyIdentifier').replace(/^keyid/i, '');
    return fields;
  }

  const get = async (
    proxy: Proxy,
    client: Issued,
    extra: { chain?: string; headers?: Record<string, string> } = {},
  ) => {
    const res = await request({
      port: proxy.port,
      ca,
      cert: client.certPem + (extra.chain ?? ''),
      key: client.keyPem,
      headers: extra.headers,
    });
    assert.equal(res.status, 200, res.body);
    return res.json<EchoRecord>().headers;
  };

  before(async () => {
    pki = await createTestPki();
    upstream = await startHttp1Echo();
    ca = await serverCaPem(pki);
    const issuing = await pki.ca.intermediate('CN=Client Issuing CA,O=Portcullis Tests');
    intermediate = issuing;
    certs.sans = await pki.ca.issue({
      subject: 'C=US,O=Portcullis Tests,OU=Access Admins,CN=James Royal',
      uris: ['spiffe://example.org/ns/default/sa/client'],
      dns: ['client.example.com', 'alt.example.com'],
    });
    certs.plain = await pki.ca.issue({ subject: 'C=US,O=Portcullis Tests,CN=plain-client' });
    certs.viaIntermediate = await issuing.issue({
      subject: 'O=Portcullis Tests,CN=via-intermediate',
      uris: ['spiffe://example.org/via'],
    });
    const hostileUri = 'spiffe://x/a,b;c=d';
    certs.injection = await pki.ca.issue({
      subject: [
        { O: ['Portcullis Tests'] },
        { CN: [{ utf8String: 'evil", O=admin; x=1\r\nx-injected: yes' }] },
      ] as unknown as NameInput,
      uris: [hostileUri],
    });
    certs.oddChars = await pki.ca.issue({
      subject: [
        { O: ['Portcullis Tests'] },
        { CN: [{ utf8String: '#J\u00fcrgen \\ a+b\u0000c' }] },
      ] as unknown as NameInput,
      uris: [hostileUri],
    });
    for (const format of ['xfcc', 'rfc9440', 'cf', 'none'] as const) {
      proxies[format] = await startTestProxy(pki, upstream.url, { forwardIdentity: format });
    }
    proxies.all = await startTestProxy(pki, upstream.url, { forwardIdentity: 'xfcc,rfc9440,cf' });
  });

  after(async () => {
    for (const session of sessions) session.destroy();
    await Promise.all(Object.values(proxies).map((proxy) => proxy.stop()));
    await upstream.close();
    await pki.cleanup();
  });

  // ---------------------------------------------------------------------------------------------------------------
  // 1-4: each format, exact values.

  test('xfcc: Hash, RFC 2253 Subject, URI and both DNS SANs, and nothing else', async () => {
    const leaf = certs.sans!;
    const expected = await openssl(leaf);
    assert.equal(expected.subject, 'CN=James Royal,OU=Access Admins,O=Portcullis Tests,C=US');
    const headers = await get(proxies.xfcc, leaf);
    assert.deepEqual(identityHeaders(headers), {
      'x-forwarded-client-cert':
        `Hash=${leaf.sha256};Subject="${expected.subject}";URI=spiffe://example.org/ns/default/sa/client;` +
        'DNS=client.example.com;DNS=alt.example.com',
    });
  });

  test('rfc9440: Client-Cert is the leaf DER; no Client-Cert-Chain when the client sent no intermediate', async () => {
    const leaf = certs.plain!;
    const headers = await get(proxies.rfc9440, leaf);
    assert.deepEqual(identityHeaders(headers), { 'client-cert': byteSequence(leaf.der) });
  });

  test('rfc9440: Client-Cert-Chain is the intermediate the client sent', async () => {
    const leaf = certs.viaIntermediate!;
    const headers = await get(proxies.rfc9440, leaf, { chain: intermediate.certPem });
    assert.deepEqual(identityHeaders(headers), {
      'client-cert': byteSequence(leaf.der),
      'client-cert-chain': byteSequence(intermediate.der),
    });
  });

  test('rfc9440: Client-Cert-Chain lists every intermediate the client sent, nearest first', async () => {
    const upper = await pki.ca.intermediate('CN=Upper Intermediate', 1);
    const lower = await upper.intermediate('CN=Lower Intermediate');
    const leaf = await lower.issue({ subject: 'CN=deep-leaf' });
    const headers = await get(proxies.rfc9440, leaf, { chain: lower.certPem + upper.certPem });
    assert.deepEqual(identityHeaders(headers), {
      'client-cert': byteSequence(leaf.der),
      'client-cert-chain': `${byteSequence(lower.der)}, ${byteSequence(upper.der)}`,
    });
  });

  test('cf: every cf-cert-* header in the format of cf.tls_client_auth.* (cloudflare-compatibility.md §7.1, §8.1)', async () => {
    const leaf = certs.plain!;
    const expected = await openssl(leaf);
    const root = await openssl(pki.ca);
    const headers = await get(proxies.cf, leaf);
    const sha1 = expected.sha1!.replaceAll(':', '').toLowerCase();
    assert.deepEqual(identityHeaders(headers), {
      'cf-cert-presented': 'true',
      'cf-cert-verified': 'true',
      'cf-cert-revoked': 'false',
      'cf-cert-issuer-dn': 'O=Portcullis Tests,CN=Client Root CA',
      'cf-cert-subject-dn': 'CN=plain-client,O=Portcullis Tests,C=US',
      'cf-cert-issuer-dn-rfc2253': expected.issuer,
      'cf-cert-subject-dn-rfc2253': expected.subject,
      'cf-cert-issuer-dn-legacy': expected['compat.issuer'],
      'cf-cert-subject-dn-legacy': '/C=US/O=Portcullis Tests/CN=plain-client',
      'cf-cert-serial': expected.serial,
      'cf-cert-issuer-serial': root.serial,
      'cf-cert-sha256': leaf.sha256,
      'cf-cert-sha1': sha1,
      'cf-cert-fingerprint-sha256': leaf.sha256,
      'cf-cert-fingerprint-sha1': sha1,
      'cf-cert-not-before': expected.notBefore,
      'cf-cert-not-after': expected.notAfter,
      'cf-cert-ski': expected.ski,
      'cf-cert-issuer-ski': root.ski,
    });
    // The cross-checks above are only as good as OpenSSL's printout; pin the formats too.
    assert.equal(expected.subject, 'CN=plain-client,O=Portcullis Tests,C=US');
    assert.equal(expected['compat.subject'], '/C=US/O=Portcullis Tests/CN=plain-client');
    assert.equal(expected.serial, leaf.serialHex);
    assert.match(expected.serial, /^[0-9A-F]+$/);
    assert.match(sha1, /^[0-9a-f]{40}$/);
    assert.match(leaf.sha256, /^[0-9a-f]{64}$/);
    for (const date of [expected.notBefore!, expected.notAfter!]) {
      assert.match(date, /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\d \d\d:\d\d:\d\d \d{4} GMT$/);
    }
    assert.equal(expected.aki, root.ski, 'leaf AKI is the root SKI');
    assert.match(root.ski!, /^[0-9A-F]{40}$/);
  });

  test('all formats, leaf via a sent intermediate: the issuer fields are the intermediate', async () => {
    const leaf = certs.viaIntermediate!;
    const expected = await openssl(leaf);
    const issuer = await openssl(intermediate);
    const headers = await get(proxies.all, leaf, { chain: intermediate.certPem });
    assert.equal(
      single(headers, 'x-forwarded-client-cert'),
      `Hash=${leaf.sha256};Subject="CN=via-intermediate,O=Portcullis Tests";URI=spiffe://example.org/via`,
    );
    assert.equal(single(headers, 'client-cert'), byteSequence(leaf.der));
    assert.equal(single(headers, 'client-cert-chain'), byteSequence(intermediate.der));
    assert.equal(single(headers, 'cf-cert-subject-dn'), expected.subject);
    assert.equal(single(headers, 'cf-cert-issuer-dn'), 'O=Portcullis Tests,CN=Client Issuing CA');
    assert.equal(single(headers, 'cf-cert-issuer-dn'), issuer.subject);
    assert.equal(single(headers, 'cf-cert-issuer-serial'), issuer.serial);
    assert.equal(single(headers, 'cf-cert-issuer-serial'), intermediate.serialHex);
    assert.equal(single(headers, 'cf-cert-issuer-ski'), issuer.ski);
    assert.equal(single(headers, 'cf-cert-ski'), expected.ski);
    assert.equal(Object.keys(identityHeaders(headers)).length, 3 + 19);
  });

  test('none: no identity header at all reaches the upstream', async () => {
    const headers = await get(proxies.none, certs.sans!);
    assert.deepEqual(identityHeaders(headers), {});
    const names = Object.keys(headers)
      .filter((name) => name !== 'connection') // the upstream client's own keep-alive
      .sort();
    assert.deepEqual(names, ['host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
  });

  // ---------------------------------------------------------------------------------------------------------------
  // 5: client-sent identity headers never reach the upstream.

  const spoofed: [string, string][] = [
    [
      'x-forwarded-client-cert',
      'Hash=0000000000000000000000000000000000000000000000000000000000000000;Subject="CN=admin"',
    ],
    ['X-fOrWaRdEd-CLIENT-Cert', 'By=spiffe://evil;Hash=1111;Subject="CN=root"'],
    ['client-cert', ':AAAA:'],
    ['Client-Cert-Chain', ':AAAA:, :BBBB:'],
    ['cf-cert-verified', 'true'],
    ['cf-cert-subject-dn', 'CN=admin'],
    ['cf-client-cert-sha256', 'ab'.repeat(32)],
    ['x-ssl-client-verify', 'SUCCESS'],
    ['x_ssl_client_s_dn', 'CN=admin'],
    ['x-client-cert', '-----BEGIN CERTIFICATE-----'],
  ];
  const spoofedValues = new Set(spoofed.map(([, value]) => value));

  /** No identity header from the client: none of the spoofed values, under any name. */
  function assertNoSpoofedValue(headers: Headers): void {
    for (const [name, value] of Object.entries(headers)) {
      for (const part of [value ?? []].flat()) {
        for (const spoof of spoofedValues) assert.equal(part.includes(spoof), false, `${name}: ${part}`);
      }
    }
  }

  test('the spoofed names are all identity names (self-check of this file)', () => {
    for (const [name] of spoofed) assert.match(name.toLowerCase(), IDENTITY_NAME, name);
    assert.deepEqual(
      parseXfccElement('Hash=ab;Subject="CN=a\\\\\\"\\;x=1";x=1;URI="u;v"').map(([key]) => key),
      ['Hash', 'Subject', 'x', 'URI'],
    );
  });

  test('HTTP/1.1 spoofing, none: no client-sent identity header reaches the upstream', async () => {
    const res = await rawRequest(proxies.none.port, ca, certs.plain!, [...spoofed, ['x-request-id', 'kept']]);
    assert.equal(res.status, 200, res.body);
    const { headers } = JSON.parse(res.body) as EchoRecord;
    assert.equal(headers['x-request-id'], 'kept', 'ordinary headers still pass');
    assert.deepEqual(identityHeaders(headers), {});
    assertNoSpoofedValue(headers);
  });

  test("HTTP/1.1 spoofing, xfcc: only the proxy's own XFCC arrives", async () => {
    const leaf = certs.plain!;
    const res = await rawRequest(proxies.xfcc.port, ca, leaf, [...spoofed, ['x-request-id', 'kept']]);
    assert.equal(res.status, 200, res.body);
    const { headers } = JSON.parse(res.body) as EchoRecord;
    assert.equal(headers['x-request-id'], 'kept');
    assert.deepEqual(identityHeaders(headers), {
      'x-forwarded-client-cert': `Hash=${leaf.sha256};Subject="CN=plain-client,O=Portcullis Tests,C=US"`,
    });
    assertNoSpoofedValue(headers);
  });

  for (const format of ['none', 'xfcc'] as const) {
    test(`HTTP/2 spoofing, ${format}: no client-sent identity header reaches the upstream`, async () => {
      const leaf = certs.plain!;
      const session = await connectH2(proxies[format].port, ca, leaf.certPem, leaf.keyPem);
      sessions.push(session);
      const spoofHeaders: Record<string, string> = { 'x-request-id': 'kept' };
      for (const [name, value] of spoofed) spoofHeaders[name] = value;
      const res = await h2Request(session, spoofHeaders);
      assert.equal(res.status, 200, res.body);
      const { headers } = JSON.parse(res.body) as EchoRecord;
      assert.equal(headers['x-request-id'], 'kept');
      assert.deepEqual(
        identityHeaders(headers),
        format === 'none'
          ? {}
          : { 'x-forwarded-client-cert': `Hash=${leaf.sha256};Subject="CN=plain-client,O=Portcullis Tests,C=US"` },
      );
      assertNoSpoofedValue(headers);
      session.close();
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 6: hostile subjects and SANs.

  /** What every hostile case must satisfy; returns the XFCC pairs. */
  function assertSafe(headers: Headers, leaf: Issued): [string, string][] {
    assert.equal('x-injected' in headers, false, 'no injected header');
    for (const [name, value] of Object.entries(identityHeaders(headers))) {
      assert.equal(typeof value, 'string', name);
      assert.match(value as string, PRINTABLE_ASCII, `${name}: ${JSON.stringify(value)}`);
    }
    const pairs = parseXfccElement(single(headers, 'x-forwarded-client-cert'));
    assert.deepEqual(
      pairs.map(([key]) => key),
      ['Hash', 'Subject', 'URI'],
      'exactly one Hash, one Subject, one URI',
    );
    assert.equal(pairs[0]![1], leaf.sha256);
    assert.equal(pairs[2]![1], 'spiffe://x/a,b;c=d', 'the URI round-trips');
    assert.equal(pairs[1]![1], single(headers, 'cf-cert-subject-dn'), 'Subject unquotes to the RFC 2253 DN');
    assert.equal(single(headers, 'client-cert'), byteSequence(leaf.der));
    return pairs;
  }

  test('hostile subject: quote, comma, semicolon, equals, CR LF cannot inject a header or an XFCC element', async () => {
    const leaf = certs.injection!;
    const headers = await get(proxies.all, leaf);
    assertSafe(headers, leaf);
    // RFC 4514 escaping with CR LF as hex pairs; `=` escaped too (OpenSSL leaves it bare: the one difference).
    const dn = 'CN=evil\\"\\, O\\=admin\\; x\\=1\\0D\\0Ax-injected: yes,O=Portcullis Tests';
    assert.equal((await openssl(leaf)).subject, dn.replaceAll('\\=', '='));
    assert.equal(
      single(headers, 'x-forwarded-client-cert'),
      `Hash=${leaf.sha256};Subject=${xfccQuoted(dn)};URI=${xfccQuoted('spiffe://x/a,b;c=d')}`,
    );
    assert.equal(single(headers, 'cf-cert-subject-dn'), dn);
    assert.equal(single(headers, 'cf-cert-subject-dn-rfc2253'), dn);
    assert.equal(
      single(headers, 'cf-cert-subject-dn-legacy'),
      '/O=Portcullis Tests/CN=evil\\"\\, O\\=admin\\; x\\=1\\0D\\0Ax-injected: yes',
    );
  });

  test('hostile subject: NUL, backslash, plus, leading # and non-ASCII are escaped as in RFC 2253', async () => {
    const leaf = certs.oddChars!;
    const headers = await get(proxies.all, leaf);
    assertSafe(headers, leaf);
    const dn = 'CN=\\#J\\C3\\BCrgen \\\\ a\\+b\\00c,O=Portcullis Tests';
    assert.equal((await openssl(leaf)).subject, dn, 'same as OpenSSL -nameopt RFC2253');
    assert.equal(
      single(headers, 'x-forwarded-client-cert'),
      `Hash=${leaf.sha256};Subject=${xfccQuoted(dn)};URI=${xfccQuoted('spiffe://x/a,b;c=d')}`,
    );
    assert.equal(single(headers, 'cf-cert-subject-dn'), dn);
    assert.equal(
      single(headers, 'cf-cert-subject-dn-legacy'),
      '/O=Portcullis Tests/CN=\\#J\\C3\\BCrgen \\\\ a\\+b\\00c',
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // 7: X-Forwarded-* and hop-by-hop headers.

  test('X-Forwarded-For is appended to; X-Forwarded-Proto and -Host are set by the proxy', async () => {
    const headers = await get(proxies.none, certs.plain!, {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example' },
    });
    assert.equal(headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-host'], 'localhost');
  });

  test('X-Forwarded-For: none sent gives the client address; several lines are joined in order', async () => {
    const alone = await get(proxies.none, certs.plain!);
    assert.equal(alone['x-forwarded-for'], '127.0.0.1');
    const res = await rawRequest(proxies.none.port, ca, certs.plain!, [
      ['X-Forwarded-For', '203.0.113.9'],
      ['x-forwarded-for', '198.51.100.7'],
    ]);
    assert.equal(res.status, 200, res.body);
    assert.equal(
      (JSON.parse(res.body) as EchoRecord).headers['x-forwarded-for'],
      '203.0.113.9, 198.51.100.7, 127.0.0.1',
    );
  });

  test('HTTP/2: X-Forwarded-For appended, X-Forwarded-Host is the :authority', async () => {
    const leaf = certs.plain!;
    const session = await connectH2(proxies.none.port, ca, leaf.certPem, leaf.keyPem);
    sessions.push(session);
    const res = await h2Request(session, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' });
    assert.equal(res.status, 200, res.body);
    const { headers } = JSON.parse(res.body) as EchoRecord;
    assert.equal(headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-host'], `localhost:${proxies.none.port}`);
    session.close();
  });

  test('hop-by-hop and Connection-listed request headers do not reach the upstream', async () => {
    const res = await rawRequest(proxies.none.port, ca, certs.plain!, [
      ['Connection', 'X-Secret'],
      ['x-secret', '1'],
      ['keep-alive', 'timeout=5'],
      ['te', 'gzip'],
      ['upgrade', 'websocket'],
      ['x-kept', 'yes'],
    ]);
    assert.equal(res.status, 200, res.body);
    const { headers } = JSON.parse(res.body) as EchoRecord;
    assert.equal(headers['x-kept'], 'yes');
    for (const name of ['x-secret', 'keep-alive', 'te', 'upgrade']) {
      assert.equal(name in headers, false, `${name}: ${JSON.stringify(headers[name])}`);
    }
    assert.doesNotMatch(String(headers.connection ?? ''), /secret/i);
  });
});
