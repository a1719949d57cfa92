/** Parses `HOST:PORT` or `[IPV6]:PORT` into parts; throws a usage error on anything else. */
import { GW_ERR_USAGE } from '../errors/index.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListenAddress(text: string, option = '--listen'): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw GW_ERR_USAGE.create(`${option} must be HOST:PORT (e.g. 0.0.0.0:8443 or [::1]:8443), got "${text}"`);
  }
  return { host, port };
}

export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
