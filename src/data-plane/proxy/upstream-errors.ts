/** Maps an undici failure to the gateway's answer: timeouts are 504, everything else 502. */
import { errors as undiciErrors } from 'undici';
import { GW_ERR_UPSTREAM_TIMEOUT, GW_ERR_UPSTREAM_UNAVAILABLE } from '../../errors/index.ts';
import type { PublicError } from '../gateway-response.ts';

export function mapUpstreamError(error: unknown): PublicError {
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError
  ) {
    return GW_ERR_UPSTREAM_TIMEOUT;
  }
  return GW_ERR_UPSTREAM_UNAVAILABLE;
}
