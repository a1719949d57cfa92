/** The SAN policy: which requested names are certified, which refused and why, and how a policy is read. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestedSan } from './csr-san.ts';
import { applySanPolicy, defaultSanPolicy, describeRefusals, readSanPolicy, type SanPolicy } from './san-policy.ts';

const dns = (value: string): RequestedSan => ({ kind: 'dns', value });
const uri = (value: string): RequestedSan => ({ kind: 'uri', value });
const email = (value: string): RequestedSan => ({ kind: 'email', value });
const ip = (value: string): RequestedSan => ({ kind: 'ip', value });

function decide(policy: SanPolicy, ...sans: RequestedSan[]): { allowed: string[]; refused: string[] } {
  const { allowed, refused } = applySanPolicy(sans, policy);
  return { allowed: allowed.map((san) => san.value), refused: refused.map(({ san }) => san.value) };
}

describe('the default SAN policy of zone example.com', () => {
  const policy = defaultSanPolicy('example.com');

  test('allows DNS names and mail domains inside the zone, SPIFFE IDs of its trust domain', () => {
    assert.deepEqual(
      decide(
        policy,
        dns('example.com'),
        dns('device-42.fleet.EXAMPLE.com'),
        email('ops@example.com'),
        uri('spiffe://example.com/ns/prod/sa/billing'),
      ),
      {
        allowed: [
          'example.com',
          'device-42.fleet.EXAMPLE.com',
          'ops@example.com',
          'spiffe://example.com/ns/prod/sa/billing',
        ],
        refused: [],
      },
    );
  });

  test('refuses names outside the zone, look-alike domains and trust domains, IP addresses and other kinds', () => {
    const { refused } = applySanPolicy(
      [
        dns('other.org'),
        dns('notexample.com'),
        dns('*.example.com'),
        email('ops@example.com.evil.org'),
        uri('spiffe://example.com.evil/x'),
        uri('https://example.com/'),
        ip('192.0.2.1'),
        { kind: 'other', value: 'otherName 1.3.6.1.4.1.311.20.2.3' },
      ],
      policy,
    );
    assert.equal(refused.length, 8);
    const message = describeRefusals(refused);
    for (const text of [
      'DNS:other.org (not under example.com)',
      'DNS:notexample.com',
      'DNS:*.example.com (a wildcard name',
      'EMAIL:ops@example.com.evil.org',
      'URI:spiffe://example.com.evil/x (does not start with spiffe://example.com/)',
      'URI:https://example.com/',
      'IP:192.0.2.1 (the zone allows no IP addresses)',
      'otherName 1.3.6.1.4.1.311.20.2.3 (the managed CA issues DNS, email, URI and IP names only)',
    ]) {
      assert.ok(message.includes(text), `${text} in ${message}`);
    }
  });

  test('refuses malformed names and a name requested twice', () => {
    assert.deepEqual(
      decide(
        policy,
        dns('a..example.com'),
        dns('-x.example.com'),
        email('@example.com'),
        uri('no scheme'),
        dns('a.example.com'),
        dns('A.example.com'),
      ),
      {
        allowed: ['a.example.com'],
        refused: ['a..example.com', '-x.example.com', '@example.com', 'no scheme', 'A.example.com'],
      },
    );
  });

  test('keeps control characters out of the message', () => {
    const message = describeRefusals(applySanPolicy([dns('a\nb.org')], policy).refused);
    assert.doesNotMatch(message, /\n/);
  });
});

describe('a policy set by the zone', () => {
  test('any DNS name (*), IP addresses, several URI prefixes', () => {
    const policy = readSanPolicy({ dns_domains: ['*'], ip_addresses: true, uri_prefixes: ['spiffe://', 'urn:uuid:'] });
    assert.deepEqual(
      decide(
        policy,
        dns('anything.org'),
        ip('2001:db8::1'),
        uri('spiffe://prod/sa/x'),
        uri('urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e'),
        email('a@example.com'),
      ),
      {
        allowed: ['anything.org', '2001:db8::1', 'spiffe://prod/sa/x', 'urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e'],
        refused: ['a@example.com'],
      },
    );
  });

  test('an empty policy refuses every name', () => {
    const policy = readSanPolicy({});
    assert.deepEqual(decide(policy, dns('a.example.com'), uri('spiffe://x/y')).allowed, []);
  });

  test('domains are normalised (case, trailing dot) and deduplicated', () => {
    assert.deepEqual(readSanPolicy({ dns_domains: ['Example.COM.', 'example.com'] }).dnsDomains, ['example.com']);
  });

  for (const [wire, reason] of [
    [[], 'is an object'],
    [{ dns_domain: [] }, 'unknown SAN policy field "dns_domain"'],
    [{ dns_domains: 'example.com' }, 'dns_domains is a list of strings'],
    [{ dns_domains: ['exa mple.com'] }, 'is not a domain name'],
    [{ email_domains: ['*.example.com'] }, 'is not a domain name'],
    [{ uri_prefixes: ['spiffe://example.com'] }, 'must end in / or :'],
    [{ uri_prefixes: ['/relative/'] }, 'does not start with a URI scheme'],
    [{ ip_addresses: 'yes' }, 'ip_addresses is true or false'],
    [{ dns_domains: Array.from({ length: 51 }, (_, i) => `d${i}.example`) }, 'more than 50 entries'],
  ] as const) {
    test(`refuses ${JSON.stringify(wire).slice(0, 60)}`, () => {
      assert.throws(
        () => readSanPolicy(wire),
        (error: Error) => error.message.includes(reason),
      );
    });
  }
});
