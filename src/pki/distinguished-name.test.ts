/**
 * formatDistinguishedName over hand-built asn1-x509 Names: exact strings for both styles, every escape, every
 * string type, and property tests that the output is printable ASCII and decodes back to the input (so no value
 * can add an RDN or an attribute). OpenSSL cross-checks on real certificates are in certificate-fields.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { formatDistinguishedName } from './distinguished-name.ts';

const OID: Record<string, string> = {
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  STREET: '2.5.4.9',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  E: '1.2.840.113549.1.9.1',
};

type Value = string | Partial<AttributeValue>;

/** A Name from RDNs given root first; each RDN is a list of [type, value] (type is a key of OID or an OID). */
function name(...rdns: [string, Value][][]): Name {
  return new Name(
    rdns.map(
      (rdn) =>
        new RelativeDistinguishedName(
          rdn.map(
            ([type, value]) =>
              new AttributeTypeAndValue({
                type: OID[type] ?? type,
                value: new AttributeValue(typeof value === 'string' ? { utf8String: value } : value),
              }),
          ),
        ),
    ),
  );
}

const cn = (value: Value): Name => name([['CN', value]]);
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

test('formats the Cloudflare example in both styles', () => {
  const subject = name(
    [['C', { printableString: 'US' }]],
    [['ST', 'Texas']],
    [['L', 'Austin']],
    [['O', 'Access']],
    [['OU', 'Access Admins']],
    [['CN', 'James Royal']],
  );
  assert.equal(
    formatDistinguishedName(subject, 'rfc2253'),
    'CN=James Royal,OU=Access Admins,O=Access,L=Austin,ST=Texas,C=US',
  );
  assert.equal(
    formatDistinguishedName(subject, 'legacy'),
    '/C=US/ST=Texas/L=Austin/O=Access/OU=Access Admins/CN=James Royal',
  );
});

test('uses the short names, emailAddress for PKCS #9 email, and the OID with #hex for anything else', () => {
  const subject = name(
    [['DC', { ia5String: 'com' }]],
    [['DC', { ia5String: 'example' }]],
    [['STREET', '1 Main St']],
    [['UID', 'jdoe']],
    [['E', { ia5String: 'jdoe@example.com' }]],
    [['2.5.4.5', { printableString: '1234' }]],
  );
  assert.equal(
    formatDistinguishedName(subject, 'rfc2253'),
    '2.5.4.5=#130431323334,emailAddress=jdoe@example.com,UID=jdoe,STREET=1 Main St,DC=example,DC=com',
  );
  assert.equal(
    formatDistinguishedName(subject, 'legacy'),
    '/DC=com/DC=example/STREET=1 Main St/UID=jdoe/emailAddress=jdoe@example.com/2.5.4.5=#130431323334',
  );
});

test('prints a known type whose value is not a character string as #hex of its DER', () => {
  const octets = new Uint8Array([0x04, 0x02, 0x41, 0xe9]).buffer;
  assert.equal(formatDistinguishedName(cn({ anyValue: octets }), 'rfc2253'), 'CN=#0402' + '41E9');
});

test('multi-valued RDNs are joined with + (reversed in rfc2253, as OpenSSL prints them)', () => {
  const subject = name(
    [['O', 'Org']],
    [
      ['OU', 'Unit'],
      ['UID', 'u1'],
    ],
    [['CN', 'Leaf']],
  );
  assert.equal(formatDistinguishedName(subject, 'rfc2253'), 'CN=Leaf,UID=u1+OU=Unit,O=Org');
  assert.equal(formatDistinguishedName(subject, 'legacy'), '/O=Org/OU=Unit+UID=u1/CN=Leaf');
});

test('an empty name is the empty string', () => {
  assert.equal(formatDistinguishedName(new Name(), 'rfc2253'), '');
  assert.equal(formatDistinguishedName(new Name(), 'legacy'), '');
  assert.equal(formatDistinguishedName(cn(''), 'rfc2253'), 'CN=');
});

test('escapes RFC 4514 specials, and = everywhere and / in legacy', () => {
  const value = 'a,b+c"d\\e;f<g>h=i/j';
  assert.equal(formatDistinguishedName(cn(value), 'rfc2253'), 'CN=a\\,b\\+c\\"d\\\\e\\;f\\<g\\>h\\=i/j');
  assert.equal(formatDistinguishedName(cn(value), 'legacy'), '/CN=a\\,b\\+c\\"d\\\\e\\;f\\<g\\>h\\=i\\/j');
});

test('escapes a leading # or space and a trailing space (as \\20, safe from header trimming)', () => {
  assert.equal(formatDistinguishedName(cn('#x#'), 'rfc2253'), 'CN=\\#x#');
  assert.equal(formatDistinguishedName(cn(' a b '), 'rfc2253'), 'CN=\\ a b\\20');
  assert.equal(formatDistinguishedName(cn(' '), 'rfc2253'), 'CN=\\20');
  assert.equal(formatDistinguishedName(cn('  '), 'legacy'), '/CN=\\ \\20');
  assert.equal(formatDistinguishedName(cn('#'), 'legacy'), '/CN=\\#');
});

test('writes control characters, DEL and non-ASCII as \\XX UTF-8 hex pairs', () => {
  assert.equal(formatDistinguishedName(cn('a\r\nb\u0000c\u007f\td'), 'rfc2253'), 'CN=a\\0D\\0Ab\\00c\\7F\\09d');
  assert.equal(
    formatDistinguishedName(cn('José 日本 😀'), 'rfc2253'),
    'CN=Jos\\C3\\A9 \\E6\\97\\A5\\E6\\9C\\AC \\F0\\9F\\98\\80',
  );
  // A lone surrogate (possible in a BMPString) cannot be UTF-8: written as U+FFFD.
  assert.equal(formatDistinguishedName(cn({ bmpString: 'a\ud800b' }), 'rfc2253'), 'CN=a\\EF\\BF\\BDb');
  assert.equal(formatDistinguishedName(cn({ bmpString: 'a\udc00' }), 'legacy'), '/CN=a\\EF\\BF\\BD');
});

test('reads every DirectoryString type and IA5String as text', () => {
  const cases: [Partial<AttributeValue>, string][] = [
    [{ utf8String: 'é' }, 'CN=\\C3\\A9'],
    [{ printableString: 'Print' }, 'CN=Print'],
    [{ ia5String: 'ia5' }, 'CN=ia5'],
    [{ teletexString: 'T\u00e9' }, 'CN=T\\C3\\A9'], // Latin-1 byte 0xE9, as OpenSSL reads T61String
    [{ bmpString: 'bmp é' }, 'CN=bmp \\C3\\A9'],
    [{ universalString: 'uni é' }, 'CN=uni \\C3\\A9'],
  ];
  for (const [value, expected] of cases) assert.equal(formatDistinguishedName(cn(value), 'rfc2253'), expected);
});

test('an unknown attribute type is written as OID=#hex of its DER value', () => {
  assert.equal(formatDistinguishedName(name([['1.2.3.4', 'hé']]), 'rfc2253'), '1.2.3.4=#0C0368C3A9');
  assert.equal(formatDistinguishedName(name([['1.2.3.4', { bmpString: 'A' }]]), 'legacy'), '/1.2.3.4=#1E020041');
});

test('a hostile value can never add an RDN or break a header line', () => {
  const hostile = 'x",O=Admin;CN=root\r\nX-Injected: 1\u0000/CN=admin+UID=0 ';
  for (const style of ['rfc2253', 'legacy'] as const) {
    const out = formatDistinguishedName(name([['O', 'Org']], [['CN', hostile]]), style);
    assert.match(out, PRINTABLE_ASCII);
    assert.deepEqual(
      parseBack(out, style).map((rdn) => rdn.map(([type]) => type)),
      style === 'legacy' ? [['O'], ['CN']] : [['CN'], ['O']],
    );
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Property tests. parseBack is a strict RFC 4514 reader for our output: it fails on anything we never emit
// (a dangling escape, a bad hex pair), and returns each attribute's value as the UTF-8 bytes it encodes.

function parseBack(dn: string, style: 'rfc2253' | 'legacy'): [string, string][][] {
  const rdnSeparator = style === 'legacy' ? '/' : ',';
  let text = dn;
  if (style === 'legacy') {
    assert.ok(text === '' || text.startsWith('/'), 'legacy form starts with /');
    text = text.slice(1);
  }
  const rdns: [string, string][][] = [[]];
  let type = '';
  let bytes: number[] = [];
  let inValue = false;
  let valueStart = 0;
  const endValue = (end: number): void => {
    // Leading space or # must be escaped (RFC 4514); a trailing space must be \20, never a bare space.
    if (end > valueStart) assert.ok(!' #'.includes(text[valueStart]!), 'unescaped leading space or #');
    if (end > valueStart) assert.notEqual(text[end - 1], ' ', 'value ends with a space');
    rdns[rdns.length - 1]!.push([type, Buffer.from(bytes).toString('utf8')]);
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!inValue) {
      if (ch === '=') {
        inValue = true;
        valueStart = i + 1;
      } else type += ch;
      continue;
    }
    if (ch === '\\') {
      const next = text[i + 1];
      assert.ok(next !== undefined, 'dangling escape');
      if (/^[0-9A-F]{2}$/.test(text.slice(i + 1, i + 3))) {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        assert.ok(',+"\\<>;=/# '.includes(next), `unexpected escape \\${next}`);
        bytes.push(next.charCodeAt(0));
        i += 1;
      }
      continue;
    }
    if (ch === rdnSeparator || ch === '+') {
      endValue(i);
      if (ch === rdnSeparator) rdns.push([]);
      type = '';
      bytes = [];
      inValue = false;
      continue;
    }
    assert.ok(!',+"\\<>;='.includes(ch), `unescaped ${ch} in a value`);
    bytes.push(ch.charCodeAt(0));
  }
  if (inValue || type !== '') endValue(text.length);
  return text === '' ? [] : rdns;
}

/** What the value should read back as: its UTF-8, with lone surrogates as U+FFFD. */
function expectedText(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom(',', '+', '"', '\\', '<', '>', ';', '=', '/', '#', ' ', '\r', '\n', '\u0000', '\u007f', 'é'),
  }),
  fc.string({ unit: 'grapheme-composite' }),
);

test('property: any CN value gives printable ASCII with no unescaped , and reads back unchanged', () => {
  fc.assert(
    fc.property(anyText, fc.constantFrom('rfc2253' as const, 'legacy' as const), (value, style) => {
      const out = formatDistinguishedName(cn(value), style);
      assert.match(out, PRINTABLE_ASCII);
      assert.ok(!/(^|[^\\])(\\\\)*,/.test(out), 'unescaped ,');
      assert.deepEqual(parseBack(out, style), [[['CN', expectedText(value)]]]);
    }),
    { numRuns: 2000 },
  );
});

test('property: any name of several (multi-valued) RDNs reads back with the same shape and values', () => {
  const attribute = fc.tuple(fc.constantFrom('CN', 'O', 'OU', 'DC', 'UID'), anyText);
  const rdns = fc.array(fc.array(attribute, { minLength: 1, maxLength: 3 }), { maxLength: 5 });
  fc.assert(
    fc.property(rdns, (input) => {
      const subject = name(...input);
      const expected = input.map((rdn) => rdn.map(([type, value]): [string, string] => [type, expectedText(value)]));
      assert.deepEqual(parseBack(formatDistinguishedName(subject, 'legacy'), 'legacy'), expected);
      const reversed = expected.map((rdn) => [...rdn].reverse()).reverse();
      assert.deepEqual(parseBack(formatDistinguishedName(subject, 'rfc2253'), 'rfc2253'), reversed);
    }),
    { numRuns: 500 },
  );
});
