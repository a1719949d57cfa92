/**
 * The URL a developer calls an API at: the API's hostname (the gateway routes by it, SNI and Host)
 * on the port of the gateway's public URL (`--public-url`, "how clients reach the gateway"), never
 * the port the process happens to listen on behind a load balancer. A `*.` hostname has no single
 * name to call, so an example name stands in for the wildcard label.
 */
import type { ApiDefinitionRecord } from '../model/records.ts';

export function apiPublicUrl(api: Pick<ApiDefinitionRecord, 'hostname' | 'listenPath'>, gatewayUrl: string): string {
  const { port } = new URL(gatewayUrl);
  const host = api.hostname.startsWith('*.') ? `any${api.hostname.slice(1)}` : api.hostname;
  const path = api.listenPath === '/' ? '/' : `${api.listenPath}/`;
  return `https://${host}${port === '' ? '' : `:${port}`}${path}`;
}
