/**
 * `--session-tickets on|off` of `portcullis proxy` and `portcullis serve`: whether the TLS listener
 * issues stateless session tickets (resumption). The trade-off is described in
 * data-plane/listeners/tls-server-options.ts and the README.
 */
import { GW_ERR_USAGE } from '../errors/index.ts';

export const SESSION_TICKETS_OPTION = '--session-tickets';
export const SESSION_TICKETS_HELP =
  'TLS session tickets (resumption); off: cheaper full handshakes and client certificates over 64 KB, but no resumption';

/** `on` (the default when absent) or `off`; anything else is a usage error. */
export function parseSessionTickets(text: string | undefined): boolean {
  if (text === undefined || text === 'on') return true;
  if (text === 'off') return false;
  throw GW_ERR_USAGE.create(`${SESSION_TICKETS_OPTION} takes on or off, got "${text}"`);
}
