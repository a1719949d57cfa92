/**
 * `portcullis proxy --metrics-listen HOST:PORT [--metrics-allow-remote]` and `--access-log -|FILE`,
 * checked before anything starts (usage errors, exit 2).
 *
 * The metrics listener is plain HTTP without a token, like serve's admin listener: a loopback
 * address is accepted as it is; any other needs --metrics-allow-remote, so that publishing request
 * counts and handshake failures to a network is a decision, not a typo (README "Metrics and access
 * log of the proxy").
 */
import { GW_ERR_USAGE } from '../errors/index.ts';
import { parseListenAddress, type ListenAddress } from './listen-address.ts';
import { isLoopback } from './public-url-reach.ts';

export interface ProxyObservabilityInput {
  metricsListen?: string;
  metricsAllowRemote?: boolean;
  accessLog?: string;
}

export interface ProxyObservability {
  /** Undefined: no metrics listener (the default). */
  readonly metricsListen: ListenAddress | undefined;
  /** `-` (standard output) or a file path; undefined: no access log (the default). */
  readonly accessLog: string | undefined;
}

export function parseProxyObservability(input: ProxyObservabilityInput): ProxyObservability {
  const metricsListen =
    input.metricsListen === undefined ? undefined : parseListenAddress(input.metricsListen, '--metrics-listen');
  if (metricsListen === undefined && input.metricsAllowRemote === true) {
    throw GW_ERR_USAGE.create('--metrics-allow-remote needs --metrics-listen');
  }
  if (metricsListen !== undefined && !isLoopback(metricsListen.host) && input.metricsAllowRemote !== true) {
    throw GW_ERR_USAGE.create(
      `--metrics-listen ${input.metricsListen} is not a loopback address: the metrics are served without TLS or a token; add --metrics-allow-remote to serve them there anyway`,
    );
  }
  const accessLog = input.accessLog;
  if (accessLog !== undefined && accessLog.trim() === '') {
    throw GW_ERR_USAGE.create('--access-log needs - (standard output) or a file path');
  }
  return { metricsListen, accessLog };
}
