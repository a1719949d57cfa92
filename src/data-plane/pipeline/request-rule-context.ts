/**
 * The RuleContext of one gateway request (src/rules/rule-context.ts), built only when the zone has
 * custom rules. Every field is computed on first read and kept for the rest of the request, so a
 * ruleset that looks only at `http.host` and `cf.tls_client_auth.cert_verified` costs two property
 * reads. Certificate fields come from the connection's leaf, parsed once per connection; only
 * `cert_verified` / `cert_revoked` are per request (they follow the current snapshot). The connection's own
 * fields (`ip.src`, `cf.tls_version`, `cf.tls_cipher`, `cf.edge.server_port`) are read once per CONNECTION and kept
 * for its later requests (ConnectionRuleFields below).
 *
 * `http.host` is the Host / :authority hostname without port, lowercased (DNS names compare
 * case-insensitively, RFC 4343): `http.host in {"api.example.com"}` must not be dodged by sending
 * `API.example.com`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CertificateFields } from '../../pki/certificate-fields.ts';
import {
  parseIpAddress,
  type ClientAuthFields,
  type ConnectionFields,
  type HeaderMap,
  type IpAddress,
  type RequestFields,
  type RuleContext,
} from '../../rules/index.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';
import { RFC9440_MAX_CHAIN_BYTES } from './identity-headers.ts';

/** What the handler knows about the request, for both client protocols. */
export interface RuleRequestInput {
  readonly host: string;
  readonly method: string;
  /** Origin-form request target: path and query. */
  readonly target: string;
  readonly version: 'HTTP/1.1' | 'HTTP/2';
  /** Node's parsed headers (HTTP/2: pseudo-headers included, skipped here). */
  readonly headers: IncomingHttpHeaders;
  /** HTTP/1.1 raw header list (name, value, …) as sent; undefined for HTTP/2. */
  readonly rawHeaders: readonly string[] | undefined;
  readonly clientAddress: string;
  /** The TLS socket, read only if a rule asks for TLS or port fields. */
  readonly socket: () => TLSSocket | undefined;
}

/**
 * What a connection's rules read of the connection itself, computed on first use and kept for every later request
 * on it: a keep-alive client whose zone has an `ip.src` rule would otherwise have its address parsed, and the TLS
 * state read through the socket's handle, on every request. None of them changes during a connection: the address
 * and port are the socket's, and renegotiation is refused (tls-server-options.ts), so the version and cipher stay
 * those of the handshake. Keyed by the connection's identity, which the listener reads once per connection
 * (connection-identity.ts); a WeakMap, so an entry goes with its connection.
 */
interface ConnectionRuleFields {
  /** The address `sourceIp` was parsed from (an identity seen with another address parses again). */
  address: string | undefined;
  sourceIp: IpAddress | undefined;
  tlsVersion: string | undefined;
  tlsCipher: string | undefined;
  serverPort: number | undefined;
}
const connectionFields = new WeakMap<ConnectionIdentity, ConnectionRuleFields>();

function connectionFieldsOf(identity: ConnectionIdentity): ConnectionRuleFields {
  let fields = connectionFields.get(identity);
  if (fields === undefined) {
    fields = {
      address: undefined,
      sourceIp: undefined,
      tlsVersion: undefined,
      tlsCipher: undefined,
      serverPort: undefined,
    };
    connectionFields.set(identity, fields);
  }
  return fields;
}

/**
 * One object per request for the whole context: it is its own `request`, `connection` and
 * `clientAuth` (the three field sets share no name), so a request that runs rules allocates one
 * object here, not four.
 */
export class RequestRuleContext implements RuleContext, RequestFields, ConnectionFields, ClientAuthFields {
  readonly #input: RuleRequestInput;
  readonly #identity: ConnectionIdentity;
  readonly certVerified: boolean;
  readonly certRevoked: boolean;
  #headers: HeaderMap | undefined;
  #names: string[] | undefined;
  #values: string[] | undefined;
  #path: string | undefined;
  #connectionFields: ConnectionRuleFields | undefined;

  constructor(input: RuleRequestInput, identity: ConnectionIdentity, verified: boolean, revoked: boolean) {
    this.#input = input;
    this.#identity = identity;
    this.certVerified = verified;
    this.certRevoked = revoked;
  }

  get request(): RequestFields {
    return this;
  }
  get connection(): ConnectionFields {
    return this;
  }
  get clientAuth(): ClientAuthFields {
    return this;
  }

  // http.request.*, http.host and the headers.
  get host(): string {
    return this.#input.host;
  }
  get method(): string {
    return this.#input.method;
  }
  get uri(): string {
    return this.#input.target;
  }
  get path(): string {
    // Rulesets read the path in many rules: cut it from the target once.
    if (this.#path === undefined) {
      const target = this.#input.target;
      const question = target.indexOf('?');
      this.#path = question < 0 ? target : target.slice(0, question);
    }
    return this.#path;
  }
  get query(): string {
    const target = this.#input.target;
    const question = target.indexOf('?');
    return question < 0 ? '' : target.slice(question + 1);
  }
  get fullUri(): string {
    return `https://${this.#input.host}${this.#input.target}`;
  }
  get version(): string {
    return this.#input.version;
  }
  get headers(): HeaderMap {
    this.#headers ??= headerMapOf(this.#input.headers);
    return this.#headers;
  }
  /** One header's values, as `headers[name]` would give them, without building the whole map for one name. */
  header(name: string): readonly string[] | undefined {
    if (this.#headers !== undefined) return this.#headers[name];
    if (name.startsWith(':')) return undefined;
    const headers = this.#input.headers;
    if (!Object.hasOwn(headers, name)) return undefined;
    const value = headers[name];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value : [value];
  }
  get headerNames(): readonly string[] {
    this.#splitRaw();
    return this.#names ?? [];
  }
  get headerValues(): readonly string[] {
    this.#splitRaw();
    return this.#values ?? [];
  }
  get headersTruncated(): boolean {
    return false;
  }
  get userAgent(): string {
    return firstValue(this.#input.headers['user-agent']);
  }
  get cookie(): string {
    return firstValue(this.#input.headers.cookie);
  }
  get referer(): string {
    return firstValue(this.#input.headers.referer);
  }
  get xForwardedFor(): string {
    return firstValue(this.#input.headers['x-forwarded-for']);
  }

  #splitRaw(): void {
    if (this.#names !== undefined) return;
    const names: string[] = [];
    const values: string[] = [];
    const raw = this.#input.rawHeaders;
    if (raw !== undefined) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        names.push(raw[i] ?? '');
        values.push(raw[i + 1] ?? '');
      }
    } else {
      for (const [name, value] of Object.entries(this.#input.headers)) {
        if (name.startsWith(':') || value === undefined) continue;
        for (const one of Array.isArray(value) ? value : [value]) {
          names.push(name);
          values.push(one);
        }
      }
    }
    this.#names = names;
    this.#values = values;
  }

  // ip.src, ssl, cf.tls_*, the server port: read from the connection only when a rule asks.
  get sourceIp(): IpAddress | undefined {
    const fields = this.#connection();
    const address = this.#input.clientAddress;
    if (fields.address !== address) {
      fields.sourceIp = parseIpAddress(address);
      fields.address = address;
    }
    return fields.sourceIp;
  }
  get ssl(): boolean {
    return true;
  }
  get tlsVersion(): string {
    const fields = this.#connection();
    if (fields.tlsVersion === undefined) {
      // No socket or no TLS state yet (a session already gone): nothing to keep, the next request reads again.
      const version = this.#input.socket()?.getProtocol();
      if (version === undefined || version === null) return '';
      fields.tlsVersion = version;
    }
    return fields.tlsVersion;
  }
  get tlsCipher(): string {
    const fields = this.#connection();
    if (fields.tlsCipher === undefined) {
      const cipher = this.#input.socket()?.getCipher().standardName;
      if (cipher === undefined) return '';
      fields.tlsCipher = cipher;
    }
    return fields.tlsCipher;
  }
  get serverPort(): number {
    const fields = this.#connection();
    if (fields.serverPort === undefined) {
      const port = this.#input.socket()?.localPort;
      if (port === undefined) return 0;
      fields.serverPort = port;
    }
    return fields.serverPort;
  }
  #connection(): ConnectionRuleFields {
    this.#connectionFields ??= connectionFieldsOf(this.#identity);
    return this.#connectionFields;
  }

  // cf.tls_client_auth.*: over the connection's identity; formats as cloudflare-compatibility.md §7.1.
  get #fields(): CertificateFields | undefined {
    return this.#identity.fields();
  }
  get certPresented(): boolean {
    return this.#identity.presented;
  }
  get certIssuerDn(): string {
    return this.#fields?.issuerDn ?? '';
  }
  get certSubjectDn(): string {
    return this.#fields?.subjectDn ?? '';
  }
  get certIssuerDnRfc2253(): string {
    return this.#fields?.issuerDn ?? '';
  }
  get certSubjectDnRfc2253(): string {
    return this.#fields?.subjectDn ?? '';
  }
  get certIssuerDnLegacy(): string {
    return this.#fields?.issuerDnLegacy ?? '';
  }
  get certSubjectDnLegacy(): string {
    return this.#fields?.subjectDnLegacy ?? '';
  }
  get certSerial(): string {
    return this.#fields?.serial ?? '';
  }
  get certIssuerSerial(): string {
    return this.#fields?.issuerSerial ?? '';
  }
  get certFingerprintSha256(): string {
    return this.#fields?.fingerprintSha256 ?? '';
  }
  get certFingerprintSha1(): string {
    return this.#fields?.fingerprintSha1 ?? '';
  }
  get certNotBefore(): string {
    return this.#fields?.notBefore ?? '';
  }
  get certNotAfter(): string {
    return this.#fields?.notAfter ?? '';
  }
  get certSki(): string {
    return this.#fields?.ski ?? '';
  }
  get certIssuerSki(): string {
    return this.#fields?.issuerSki ?? '';
  }
  get certRfc9440(): string {
    return this.#fields?.rfc9440 ?? '';
  }
  get certRfc9440TooLarge(): boolean {
    return this.#fields?.rfc9440TooLarge ?? false;
  }
  get certChainRfc9440(): string {
    if (this.certChainRfc9440TooLarge) return '';
    return this.#identity.chain.map((cert) => `:${cert.raw.toString('base64')}:`).join(', ');
  }
  get certChainRfc9440TooLarge(): boolean {
    let total = 0;
    for (const cert of this.#identity.chain) total += cert.raw.byteLength;
    return total > RFC9440_MAX_CHAIN_BYTES;
  }
}

function firstValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? (value[0] ?? '') : value;
}

function headerMapOf(headers: IncomingHttpHeaders): HeaderMap {
  const map: Record<string, readonly string[]> = Object.create(null) as Record<string, readonly string[]>;
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    // Node joins repeated headers with ", " (except set-cookie); rules see what Node parsed.
    map[name] = Array.isArray(value) ? value : [value];
  }
  return map;
}
