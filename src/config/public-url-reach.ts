/**
 * Whether the public URL written into issued certificates (CRL distribution point, RFC 5280 §4.2.1.13; OCSP in
 * authorityInfoAccess, §4.2.2.1) can be reached by anyone but this machine. With `--listen 0.0.0.0:8443` and no
 * `--public-url`, the default is `https://localhost:8443`: every relying party other than the gateway itself
 * would fetch the CRL from its own machine. The gateway warns (README "Public URL"); it does not refuse, since
 * its own checks do not fetch these URLs and a one-machine trial is a legitimate use.
 */
import { isIP } from 'node:net';
import type { ListenAddress } from './listen-address.ts';
import { canonicalHostname } from '../model/hostname.ts';

/** The public URL's origin when it names a loopback host while the gateway listens beyond loopback; else undefined. */
export function unreachablePublicUrl(publicUrl: string, listen: Pick<ListenAddress, 'host'>): string | undefined {
  const publicHost = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
  if (!isLoopback(publicHost) || isLoopback(listen.host)) return undefined;
  return new URL(publicUrl).origin;
}

/** localhost (RFC 6761 §6.3), 127.0.0.0/8 (RFC 1122 §3.2.1.3), ::1 and its IPv4-mapped forms. */
export function isLoopback(host: string): boolean {
  const lower = canonicalHostname(host);
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6)
    return lower === '::1' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(lower) || /^(0{1,4}:){7}0{0,3}1$/.test(lower);
  return false;
}
