/**
 * GatewaySnapshot: the immutable, compiled view of "which hostnames exist and what TLS policy each
 * has", built by the control plane and read by the data plane by reference (docs/architecture.md, "Layers").
 *
 *   hostname (exact, lowercase) ─┐
 *   *.example.com (one label)   ─┼─▶ HostPolicy { edge cert, client CAs, trustId, clientAuth, revocations }
 *   unknown / absent SNI        ─┘   defaultPolicy: trusts no client CA, serves no hostname (421)
 *
 * `trustId` names the TLS trust set (edge certificate + client CA fingerprints and the compatibility of each,
 * docs/adr/0008 + client-auth mode):
 * the listener runs one TLS server (own session-id context, own ticket keys) per trustId, so a
 * session made under one trust set never resumes under another (hostile-input.md class 4). Revocations
 * are NOT part of the trustId: they are looked up per request in the current snapshot.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { RevocationIndex, type RevokedSerialSet } from '../pki/revocation-index.ts';
import { serialForLookup } from '../pki/serial.ts';
import { RouteTable } from './route-table.ts';
import type { ZoneRuntime } from './zone-runtime.ts';
import { KeyIndex } from './api-runtime.ts';
import type { AccountRevocation } from './uploaded-ca-revocation.ts';
import { canonicalHostname, isHostname } from '../model/hostname.ts';

export type ClientAuthMode = 'none' | 'optional' | 'require';

export interface HostPolicy {
  /** Lowercase hostname, or `*.example.com`; "" for the default policy. */
  readonly hostname: string;
  readonly zoneId: string | undefined;
  readonly isDefault: boolean;
  readonly certPem: string;
  readonly keyPem: string;
  /** PEM of exactly the client CAs associated with the hostname (empty for `none`). */
  readonly clientCaPems: readonly string[];
  readonly trustedCas: readonly X509Certificate[];
  /** Node-format fingerprints (`AB:CD:…`) of `trustedCas`. */
  readonly trustedCaFingerprints: ReadonlySet<string>;
  /** Those of `trustedCaFingerprints` whose client chains are judged with `legacy` compatibility. */
  readonly legacyCaFingerprints: ReadonlySet<string>;
  /** 32 hex chars: SHA-256 over the edge certificate, sorted CA fingerprints (with compatibility), `clientAuth`. */
  readonly trustId: string;
  readonly clientAuth: ClientAuthMode;
  readonly revocations: RevocationIndex;
  /** Revocation of the account's uploaded CAs (CRLs, OCSP, block lists); undefined when it has none. */
  readonly caRevocation: AccountRevocation | undefined;
}

export interface HostPolicyInput {
  readonly hostname: string;
  readonly zoneId?: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly clientCaPems?: readonly string[];
  /**
   * PEM of those of `clientCaPems` uploaded with `legacy` compatibility (client chains ending at them skip the
   * key identifier and root basicConstraints rules); default none: `strict`.
   */
  readonly legacyClientCaPems?: readonly string[];
  /** Default: `optional` when CAs are given (the request decides), `none` otherwise. */
  readonly clientAuth?: ClientAuthMode;
  /** Revoked serials (any hex form) per issuing CA, keyed by the CA's PEM or Node-format fingerprint. */
  readonly revokedSerials?: ReadonlyMap<string, Iterable<string> | NormalisedSerials>;
  /**
   * Instead of `revokedSerials`: an index built once (buildRevocationIndex) and shared by many
   * policies. It may hold other CAs' serials: lookups are by (issuing CA, serial).
   */
  readonly revocations?: RevocationIndex;
  /** Shared by the host policies of one account (uploaded-ca-revocation.ts). */
  readonly caRevocation?: AccountRevocation | undefined;
  /** Parses a PEM certificate; a compiler passes one that keeps them between compiles. Default: a new parse. */
  readonly parse?: (pem: string) => X509Certificate;
}

function parseCertificate(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

/** The canonical hostname (model/hostname.ts); "" for absent. */
function hostKey(name: string | undefined | false | null): string {
  return typeof name === 'string' ? canonicalHostname(name) : '';
}

export function createHostPolicy(input: HostPolicyInput): HostPolicy {
  const hostname = hostKey(input.hostname);
  // Underscores allowed: the names may come from certificates (model/hostname.ts).
  if (!isHostname(hostname, { wildcard: true, underscore: true }))
    throw new Error(`invalid hostname: ${input.hostname}`);
  return buildPolicy(input, { hostname, isDefault: false });
}

/** The policy for unknown or absent SNI: the gateway's own certificate, no client CA, no hostname. */
export function createDefaultPolicy(
  material: { certPem: string; keyPem: string },
  parse?: (pem: string) => X509Certificate,
): HostPolicy {
  const input: HostPolicyInput = {
    ...material,
    hostname: '',
    clientCaPems: [],
    clientAuth: 'none',
    ...(parse === undefined ? {} : { parse }),
  };
  return buildPolicy(input, { hostname: '', isDefault: true });
}

/** `hostname` is the canonical key ("" for the default policy), not `input.hostname` as written. */
function buildPolicy(
  input: HostPolicyInput,
  { hostname, isDefault }: { hostname: string; isDefault: boolean },
): HostPolicy {
  const clientCaPems = Object.freeze([...(input.clientCaPems ?? [])]);
  const clientAuth = input.clientAuth ?? (clientCaPems.length > 0 ? 'optional' : 'none');
  if (clientAuth !== 'none' && clientCaPems.length === 0) {
    // Fail closed (hostile-input.md class 6): client auth without CAs must not become "no client auth".
    throw new Error(`${hostname}: client auth '${clientAuth}' needs at least one client CA`);
  }
  if (clientAuth === 'none' && clientCaPems.length > 0)
    throw new Error(`${hostname}: CAs given with client auth 'none'`);
  const parse = input.parse ?? parseCertificate;
  const trustedCas = Object.freeze(clientCaPems.map((pem) => parse(pem)));
  for (const ca of trustedCas) if (!ca.ca) throw new Error(`${hostname}: ${ca.subject} is not a CA certificate`);
  const fingerprints = trustedCas.map((ca) => ca.fingerprint256);
  const legacy = new Set(
    (input.legacyClientCaPems ?? [])
      .map((pem) => parse(pem).fingerprint256)
      .filter((fingerprint) => fingerprints.includes(fingerprint)),
  );
  const hash = createHash('sha256');
  hash.update(parse(input.certPem).fingerprint256);
  for (const fingerprint of [...fingerprints].sort()) {
    hash.update(`|${fingerprint}${legacy.has(fingerprint) ? ':legacy' : ''}`);
  }
  hash.update(`|${clientAuth}`);
  return Object.freeze({
    hostname,
    zoneId: input.zoneId,
    isDefault,
    certPem: input.certPem,
    keyPem: input.keyPem,
    clientCaPems,
    trustedCas,
    trustedCaFingerprints: new Set(fingerprints),
    legacyCaFingerprints: legacy,
    trustId: hash.digest('hex').slice(0, 32),
    clientAuth,
    revocations: input.revocations ?? buildRevocations(input.revokedSerials, trustedCas, parse),
    caRevocation: input.caRevocation,
  });
}

/** A CA given as its PEM or as its Node-format fingerprint → the fingerprint. */
function fingerprintOf(issuer: string, parse: (pem: string) => X509Certificate): string {
  return issuer.includes('BEGIN CERTIFICATE') ? parse(issuer).fingerprint256 : issuer;
}

/**
 * Serials already normalised (serialForLookup) in a set the control plane keeps between compiles: an index over
 * one CA takes it as it is instead of copying 100,000 entries on every configuration change.
 */
export class NormalisedSerials {
  constructor(readonly set: RevokedSerialSet) {}
}

/** One index over the revoked serials of several CAs (keyed by the CA's PEM or Node-format fingerprint). */
export function buildRevocationIndex(
  revoked: ReadonlyMap<string, Iterable<string> | NormalisedSerials>,
  parse: (pem: string) => X509Certificate = parseCertificate,
): RevocationIndex {
  const byIssuer = new Map<string, RevokedSerialSet>();
  for (const [issuer, serials] of revoked) {
    const fingerprint = fingerprintOf(issuer, parse);
    const existing = byIssuer.get(fingerprint);
    if (serials instanceof NormalisedSerials && existing === undefined) {
      byIssuer.set(fingerprint, serials.set);
      continue;
    }
    const set = new Set<string>(existing?.keys() ?? []);
    if (serials instanceof NormalisedSerials) for (const serial of serials.set.keys()) set.add(serial);
    else for (const serial of serials) set.add(serialForLookup(serial));
    byIssuer.set(fingerprint, set);
  }
  return new RevocationIndex(byIssuer);
}

function buildRevocations(
  revoked: ReadonlyMap<string, Iterable<string> | NormalisedSerials> | undefined,
  trustedCas: readonly X509Certificate[],
  parse: (pem: string) => X509Certificate,
): RevocationIndex {
  const trusted = new Set(trustedCas.map((ca) => ca.fingerprint256));
  const own = [...(revoked ?? [])].filter(([issuer]) => trusted.has(fingerprintOf(issuer, parse))); // this host's CAs
  return buildRevocationIndex(new Map(own), parse);
}

/** Per-request configuration beside the TLS policies: routes and zone runtimes (rules, headers). */
export interface SnapshotRuntime {
  readonly routes?: RouteTable;
  readonly zones?: readonly ZoneRuntime[];
  readonly keys?: KeyIndex;
  /**
   * Hostnames no wildcard covers: zone apexes of another account than the wildcard's
   * (docs/adr/0007-zone-ownership.md). Without an exact policy they get none (421).
   */
  readonly wildcardExclusions?: ReadonlySet<string>;
  /** Zone id → zone name and API id → API name: the labels of the request metrics (docs/reference/metrics.md). */
  readonly zoneNames?: ReadonlyMap<string, string>;
  readonly apiNames?: ReadonlyMap<string, string>;
}

export class GatewaySnapshot {
  readonly version: number;
  readonly defaultPolicy: HostPolicy;
  readonly routes: RouteTable;
  readonly keys: KeyIndex;
  readonly #zones: ReadonlyMap<string, ZoneRuntime>;
  readonly #exact: ReadonlyMap<string, HostPolicy>;
  /** `*.example.com` keyed by `example.com`. */
  readonly #wildcards: ReadonlyMap<string, HostPolicy>;
  readonly #wildcardExclusions: ReadonlySet<string>;
  readonly #zoneNames: ReadonlyMap<string, string>;
  readonly #apiNames: ReadonlyMap<string, string>;

  constructor(version: number, hosts: readonly HostPolicy[], defaultPolicy: HostPolicy, runtime: SnapshotRuntime = {}) {
    if (!defaultPolicy.isDefault || defaultPolicy.trustedCas.length > 0) throw new Error('invalid default policy');
    const exact = new Map<string, HostPolicy>();
    const wildcards = new Map<string, HostPolicy>();
    for (const policy of hosts) {
      const wildcard = policy.hostname.startsWith('*.');
      const map = wildcard ? wildcards : exact;
      const key = wildcard ? policy.hostname.slice(2) : policy.hostname;
      if (policy.isDefault || map.has(key)) throw new Error(`duplicate or invalid hostname: ${policy.hostname}`);
      map.set(key, policy);
    }
    this.version = version;
    this.defaultPolicy = defaultPolicy;
    this.#exact = exact;
    this.#wildcards = wildcards;
    this.#wildcardExclusions = runtime.wildcardExclusions ?? new Set();
    this.routes = runtime.routes ?? new RouteTable([]);
    this.keys = runtime.keys ?? new KeyIndex();
    this.#zones = new Map((runtime.zones ?? []).map((zone) => [zone.zoneId, zone]));
    this.#zoneNames = runtime.zoneNames ?? new Map();
    this.#apiNames = runtime.apiNames ?? new Map();
    Object.freeze(this);
  }

  /** The name of a zone in this configuration; undefined for one it does not hold (deleted). */
  zoneName(zoneId: string): string | undefined {
    return this.#zoneNames.get(zoneId);
  }

  /** The name of an API in this configuration; undefined for one it does not hold (deleted). */
  apiName(apiId: string): string | undefined {
    return this.#apiNames.get(apiId);
  }

  /** The zone's rules and header settings; undefined for a zone with neither. */
  zone(zoneId: string | undefined): ZoneRuntime | undefined {
    return zoneId === undefined ? undefined : this.#zones.get(zoneId);
  }

  /**
   * The configured policy for a hostname (exact first, then a one-label wildcard unless the
   * hostname is excluded from wildcards), else undefined.
   */
  lookup(name: string | undefined | false | null): HostPolicy | undefined {
    const host = hostKey(name);
    if (host === '') return undefined;
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    const dot = host.indexOf('.');
    const wildcard = dot > 0 ? this.#wildcards.get(host.slice(dot + 1)) : undefined;
    return wildcard === undefined || this.#wildcardExclusions.has(host) ? undefined : wildcard;
  }

  /** What a TLS connection with this SNI is accepted under. */
  resolve(servername: string | undefined | false | null): HostPolicy {
    return this.lookup(servername) ?? this.defaultPolicy;
  }

  *policies(): IterableIterator<HostPolicy> {
    yield* this.#exact.values();
    yield* this.#wildcards.values();
    yield this.defaultPolicy;
  }
}

/** The data plane's reference to the current snapshot; `swap` is a single reference assignment. */
export class SnapshotHolder {
  #current: GatewaySnapshot;

  constructor(initial: GatewaySnapshot) {
    this.#current = initial;
  }

  current(): GatewaySnapshot {
    return this.#current;
  }

  swap(next: GatewaySnapshot): GatewaySnapshot {
    const previous = this.#current;
    this.#current = next;
    return previous;
  }
}
