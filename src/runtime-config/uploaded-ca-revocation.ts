/**
 * Revocation of the CAs an operator uploaded, as the data plane reads it per request (docs/adr/0014):
 * compiled once per snapshot by the control plane, one AccountRevocation per account, shared by the
 * host policies of the account's zones — so one tenant's lists never apply to another's hosts, even
 * when both uploaded the same CA.
 *
 *   AccountRevocation
 *     blocked SHA-256 / serials of the account (any CA, the managed one included)
 *     per issuing CA certificate (Node-format fingerprint) → UploadedCaRevocation
 *       fail mode · CRL required? · CRLs in force (serials + nextUpdate) · OCSP settings · blocks
 *
 * And the two ports the data plane uses and the control plane implements (wired in app/serve.ts):
 * OcspStatusSource (cached answers at once, a check otherwise) and RevocationObserver (metrics,
 * logs, distribution points learnt from client certificates). Neither ever throws.
 */
import type { X509Certificate } from 'node:crypto';

export type RevocationFailMode = 'fail_closed' | 'fail_open';

/** Why a status could not be established: a bounded set (metric labels). */
export type RevocationUnknownReason = 'crl_missing' | 'crl_stale' | 'ocsp_unknown' | 'ocsp_failed';

export interface CrlInForce {
  /** Normalised serials (serial.ts). */
  readonly serials: ReadonlySet<string>;
  /** From this time (epoch ms) the CRL is stale. */
  readonly nextUpdateMs: number;
}

export interface OcspCheckSettings {
  readonly timeoutMs: number;
  readonly nonce: boolean;
  readonly maxCacheMs: number;
  readonly allowPrivateAddresses: boolean;
}

export interface UploadedCaRevocation {
  /** The uploaded CA (mtls_certificates id), for metrics and logs. */
  readonly mtlsCertificateId: string;
  readonly failMode: RevocationFailMode;
  /** A leaf's issuer must have a fresh CRL in `crls` (fetching is on, or a CRL was uploaded). */
  readonly crlRequired: boolean;
  /** Fetching is on without configured URLs: distribution points are learnt from client certificates. */
  readonly discoverCrlUrls: boolean;
  /** By the issuing CA certificate's Node-format fingerprint. */
  readonly crls: ReadonlyMap<string, CrlInForce>;
  /** Undefined: OCSP is not checked. */
  readonly ocsp: OcspCheckSettings | undefined;
  /** Lowercase hex SHA-256 of blocked leaves. */
  readonly blockedSha256: ReadonlySet<string>;
  /** Normalised serials of blocked leaves issued by the CA. */
  readonly blockedSerials: ReadonlySet<string>;
  /** The CA certificates of the bundle. */
  readonly caCertificates: readonly X509Certificate[];
}

export class AccountRevocation {
  readonly blockedSha256: ReadonlySet<string>;
  readonly blockedSerials: ReadonlySet<string>;
  readonly #byIssuer: ReadonlyMap<string, UploadedCaRevocation>;
  readonly #cas: readonly UploadedCaRevocation[];

  constructor(
    cas: readonly UploadedCaRevocation[],
    blocked: { sha256?: Iterable<string>; serials?: Iterable<string> } = {},
  ) {
    const byIssuer = new Map<string, UploadedCaRevocation>();
    for (const ca of cas) {
      for (const certificate of ca.caCertificates) {
        const seen = byIssuer.get(certificate.fingerprint256);
        // The same CA certificate uploaded twice in one account: the stricter of both applies.
        byIssuer.set(certificate.fingerprint256, seen === undefined ? ca : strictest(seen, ca));
      }
    }
    this.#byIssuer = byIssuer;
    this.#cas = [...new Set(byIssuer.values())];
    this.blockedSha256 = new Set(blocked.sha256 ?? []);
    this.blockedSerials = new Set(blocked.serials ?? []);
    Object.freeze(this);
  }

  /** The uploaded CA whose certificate issued the leaf (`issuerFingerprint256` as Node formats it). */
  forIssuer(issuerFingerprint256: string): UploadedCaRevocation | undefined {
    return this.#byIssuer.get(issuerFingerprint256);
  }

  /**
   * The uploaded CA under which a chain the client sent ends (its top certificate is issued by one
   * of the CA's certificates): for leaves issued by an intermediate that is not in the bundle.
   */
  forChainTop(top: X509Certificate): UploadedCaRevocation | undefined {
    for (const ca of this.#cas) {
      if (ca.caCertificates.some((certificate) => top.checkIssued(certificate))) return ca;
    }
    return undefined;
  }
}

/** Both records' lists, revocations and checks; fail closed when either says so. */
function strictest(a: UploadedCaRevocation, b: UploadedCaRevocation): UploadedCaRevocation {
  const crls = new Map(a.crls);
  for (const [issuer, crl] of b.crls) {
    const other = crls.get(issuer);
    crls.set(
      issuer,
      other === undefined
        ? crl
        : {
            serials: new Set([...other.serials, ...crl.serials]),
            nextUpdateMs: Math.min(other.nextUpdateMs, crl.nextUpdateMs),
          },
    );
  }
  return {
    mtlsCertificateId: a.mtlsCertificateId,
    failMode: a.failMode === 'fail_closed' || b.failMode === 'fail_closed' ? 'fail_closed' : 'fail_open',
    crlRequired: a.crlRequired || b.crlRequired,
    discoverCrlUrls: a.discoverCrlUrls || b.discoverCrlUrls,
    crls,
    ocsp: a.ocsp ?? b.ocsp,
    blockedSha256: new Set([...a.blockedSha256, ...b.blockedSha256]),
    blockedSerials: new Set([...a.blockedSerials, ...b.blockedSerials]),
    caCertificates: [...new Set([...a.caCertificates, ...b.caCertificates])],
  };
}

// ---------------------------------------------------------------------------------------------
// Ports.

export type OcspVerdict =
  | { readonly status: 'good' }
  | { readonly status: 'revoked' }
  | { readonly status: 'unavailable'; readonly reason: 'ocsp_unknown' | 'ocsp_failed' };

export interface OcspQuestion {
  /** Identifies the certificate in the cache: the issuer's and the leaf's fingerprints. */
  readonly key: string;
  readonly leaf: X509Certificate;
  readonly issuer: X509Certificate;
  readonly settings: OcspCheckSettings;
}

export interface OcspStatusSource {
  /** A cached, still current verdict; undefined when there is none (per request: a map lookup). */
  cached(key: string, nowMs: number): OcspVerdict | undefined;
  /**
   * Asks the responder (one question in flight per certificate: later callers share it). Resolves
   * within the question's timeout, never rejects; the verdict is cached for later requests.
   */
  check(question: OcspQuestion): Promise<OcspVerdict>;
}

export interface RevocationObserver {
  /** A client certificate's status could not be established; `allowed`: let through (fail open). */
  unavailable(mtlsCertificateId: string, reason: RevocationUnknownReason, allowed: boolean): void;
  /** A verified leaf of a CA that learns its CRL URLs, whose issuer has no CRL yet. */
  crlMissing(mtlsCertificateId: string, leaf: X509Certificate): void;
}
