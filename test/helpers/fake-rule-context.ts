/**
 * A RuleContext built from plain values, for tests and the micro-benchmark: what the data plane will do with
 * lazy getters, done eagerly. Headers are given as `[name, value]` pairs in wire order.
 */
import { parseIpAddress } from '../../src/rules/ip-address.ts';
import {
  NO_CLIENT_CERTIFICATE,
  type ClientAuthFields,
  type ConnectionFields,
  type HeaderMap,
  type RequestFields,
  type RuleContext,
} from '../../src/rules/rule-context.ts';

export interface FakeRequest {
  host?: string;
  method?: string;
  path?: string;
  query?: string;
  version?: string;
  scheme?: string;
  headers?: readonly (readonly [string, string])[];
  headersTruncated?: boolean;
}

export interface FakeConnection {
  ip?: string;
  ssl?: boolean;
  tlsVersion?: string;
  tlsCipher?: string;
  serverPort?: number;
}

export interface FakeContextOptions {
  request?: FakeRequest;
  connection?: FakeConnection;
  clientAuth?: Partial<ClientAuthFields>;
}

function headerMap(pairs: readonly (readonly [string, string])[]): HeaderMap {
  const map: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of pairs) (map[name.toLowerCase()] ??= []).push(value);
  return map;
}

export function fakeRequest(options: FakeRequest = {}): RequestFields {
  const pairs = options.headers ?? [];
  const headers = headerMap(pairs);
  const host = options.host ?? headers.host?.[0] ?? 'api.example.com';
  const path = options.path ?? '/';
  const query = options.query ?? '';
  const uri = query === '' ? path : `${path}?${query}`;
  const first = (name: string): string => headers[name]?.[0] ?? '';
  return {
    host,
    method: options.method ?? 'GET',
    uri,
    path,
    query,
    fullUri: `${options.scheme ?? 'https'}://${host}${uri}`,
    version: options.version ?? 'HTTP/1.1',
    headers,
    headerNames: pairs.map(([name]) => name),
    headerValues: pairs.map(([, value]) => value),
    headersTruncated: options.headersTruncated ?? false,
    userAgent: first('user-agent'),
    cookie: first('cookie'),
    referer: first('referer'),
    xForwardedFor: first('x-forwarded-for'),
  };
}

export function fakeConnection(options: FakeConnection = {}): ConnectionFields {
  const ssl = options.ssl ?? true;
  return {
    sourceIp: parseIpAddress(options.ip ?? '192.0.2.10'),
    ssl,
    tlsVersion: options.tlsVersion ?? (ssl ? 'TLSv1.3' : ''),
    tlsCipher: options.tlsCipher ?? (ssl ? 'TLS_AES_128_GCM_SHA256' : ''),
    serverPort: options.serverPort ?? 443,
  };
}

export function fakeContext(options: FakeContextOptions = {}): RuleContext {
  return {
    request: fakeRequest(options.request),
    connection: fakeConnection(options.connection),
    clientAuth: { ...NO_CLIENT_CERTIFICATE, ...options.clientAuth },
  };
}

/** The client-auth fields of a valid certificate (values from cloudflare-compatibility.md §7.1). */
export const VERIFIED_CLIENT: ClientAuthFields = Object.freeze({
  ...NO_CLIENT_CERTIFICATE,
  certPresented: true,
  certVerified: true,
  certIssuerDn: 'CN=Access Testing CA,OU=TX,O=Access Testing,L=Austin,ST=Texas,C=US',
  certSubjectDn: 'CN=James Royal,OU=Access Admins,O=Access,L=Austin,ST=Texas,C=US',
  certIssuerDnRfc2253: 'CN=Access Testing CA,OU=TX,O=Access Testing,L=Austin,ST=Texas,C=US',
  certSubjectDnRfc2253: 'CN=James Royal,OU=Access Admins,O=Access,L=Austin,ST=Texas,C=US',
  certIssuerDnLegacy: '/C=US/ST=Texas/L=Austin/O=Access Testing/OU=TX/CN=Access Testing CA',
  certSubjectDnLegacy: '/C=US/ST=Texas/L=Austin/O=Access/OU=Access Admins/CN=James Royal',
  certSerial: '527E0F20A20EA2A4146C78390F34CE7AF0878CA4',
  certIssuerSerial: '2688201DBA77402EA87118876F2E1B24CF8B0395',
  certFingerprintSha256: 'af363dc85bc942a892d3cee9796190fdb36d89cd588a4f1cb17c74a943439714',
  certFingerprintSha1: '933ad5282c560ae3f482a43ecd73bc9de878a190',
  certNotBefore: 'Mar 21 13:35:00 2022 GMT',
  certNotAfter: 'Mar 21 13:35:00 2023 GMT',
  certSki: '27846FAE6EAC4A8DAD9101B519CF1EB460242831',
  certIssuerSki: '8204924CF49D471E855862706D889F58F6B784D3',
  certRfc9440: ':MIIBqDCCAU6gAwIBAgIUUn4PIKIOoqQUbHg5DzTOevCHjKQwCgYIKoZIzj0EAwI=:',
});
