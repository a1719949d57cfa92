/** Every target the bench knows, by name (run.ts and paired.ts choose among them). */
import type { TargetName } from '../config.ts';
import {
  gateway1000HostsTarget,
  gateway1Host20RulesTarget,
  gateway1HostDynamicMtlsTarget,
  gateway1HostTarget,
} from './gateway.ts';
import { nginxTarget } from './nginx.ts';
import { nodeBareTarget } from './node-bare.ts';
import { portcullisTarget } from './portcullis.ts';
import type { Target } from './target.ts';

export const TARGETS: Record<TargetName, Target> = {
  'node-bare': nodeBareTarget,
  portcullis: portcullisTarget,
  nginx: nginxTarget,
  'gateway-1-host': gateway1HostTarget,
  'gateway-1000-hosts': gateway1000HostsTarget,
  'gateway-1-host-20-rules': gateway1Host20RulesTarget,
  'gateway-1-host-dynamic-mtls': gateway1HostDynamicMtlsTarget,
};
