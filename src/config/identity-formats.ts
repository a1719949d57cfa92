/**
 * The identity header formats the gateway can forward upstream (docs/architecture.md, "A request's path"): Envoy's
 * x-forwarded-client-cert, RFC 9440 Client-Cert / Client-Cert-Chain, Cloudflare's cf-cert-*.
 * One list: configuration validates against it, the data plane builds from it.
 */
export type IdentityFormat = 'xfcc' | 'rfc9440' | 'cf';

export const IDENTITY_FORMATS: readonly IdentityFormat[] = Object.freeze(['xfcc', 'rfc9440', 'cf']);
