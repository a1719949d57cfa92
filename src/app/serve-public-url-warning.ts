/**
 * The loud start-up warning of `serve` when the URL written into issued certificates for CRL and OCSP names a
 * loopback host while the gateway listens beyond loopback (config/public-url-reach.ts; README "Public URL").
 * Logged at warn level once, with the fix; each certificate issued then repeats it in the answer's `messages`.
 */
import { unreachablePublicUrl } from '../config/public-url-reach.ts';
import type { ServeOptions } from '../config/serve-options.ts';
import { GW_ERR_PUBLIC_URL_LOOPBACK } from '../errors/index.ts';
import type { Logger } from '../observability/logger.ts';

export function warnIfPublicUrlUnreachable(
  publicUrl: string,
  options: Pick<ServeOptions, 'listen'>,
  logger: Pick<Logger, 'warn'>,
): void {
  const origin = unreachablePublicUrl(publicUrl, options.listen);
  if (origin === undefined) return;
  const warning = GW_ERR_PUBLIC_URL_LOOPBACK.create(origin);
  logger.warn({ code: warning.code, publicUrl: origin, listen: options.listen.host }, warning.message);
}
