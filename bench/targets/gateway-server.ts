/**
 * The multi-host data plane of `portcullis serve`, built in-process without a store (issues 4
 * and 5): a GatewaySnapshot compiled the way src/control/publish/gateway-snapshot-compiler.ts compiles one,
 * served by MtlsListener in `{ snapshots }` mode (SNI router → one TLS server per trust set) with
 * GatewayRequestHandler (host check, the zone's custom rules, route, proxy to the bench upstream).
 *
 *   every host: own server certificate, client CA = the bench CA, client auth 'optional',
 *               revocation index = the revoked serials of the bench CA, route `/` → upstream
 *   one zone:   identity headers (xfcc or none), custom rules (none, or the 20 of BENCH_RULES)
 *
 * Run from src/ through tsx, like the bench's other scripts. Child process; argv: JOB.json
 * (GatewayJob). Prints {"port":N,"figures":{...}} when listening; the parent then opens one
 * connection per hostname (prime-hosts.ts) before it measures.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { IdentityFormat } from '../../src/config/identity-formats.ts';
import { parseUpstreamTarget } from '../../src/config/upstream-target.ts';
import { GatewayRequestHandler } from '../../src/data-plane/listeners/gateway-request-handler.ts';
import { MtlsListener } from '../../src/data-plane/listeners/mtls-listener.ts';
import { UpstreamForwarders } from '../../src/data-plane/upstream/upstream-forwarders.ts';
import { FaultGuard } from '../../src/data-plane/guard/fault-guard.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { compileExpression } from '../../src/rules/index.ts';
import {
  createDefaultPolicy,
  buildRevocationIndex,
  createHostPolicy,
  GatewaySnapshot,
  SnapshotHolder,
  type HostPolicy,
} from '../../src/runtime-config/gateway-snapshot.ts';
import { PublicPki } from '../../src/runtime-config/public-pki.ts';
import { RouteTable, type RouteRuntime } from '../../src/runtime-config/route-table.ts';
import { RuleHitCounters } from '../../src/store/counters/memory-rule-hits.ts';
import { KeyIndex, type ApiRuntime } from '../../src/runtime-config/api-runtime.ts';
import { compileAccessRights } from '../../src/policy/access-rights.ts';
import { MemoryUsageCounters } from '../../src/store/counters/memory-usage-counters.ts';
import { openStore } from '../../src/store/open-store.ts';
import { TenancyService } from '../../src/control/tenancy/tenancy-service.ts';
import { ServeTelemetry } from '../../src/app/serve-telemetry.ts';
import type { CustomRuleRuntime, ZoneRuntime } from '../../src/runtime-config/zone-runtime.ts';
import { randomSerial } from '../../test/helpers/pki.ts';
import type { HostCertificates } from '../bench-pki.ts';
import { BENCH_RULES, mtlsRule, type GatewayJob, type GatewayReady } from './gateway-setup.ts';

const ZONE_ID = 'bench-zone';
const ACCOUNT_ID = 'bench-account';
const API_ID = 'bench-api';
const RULESET_ID = 'bench-ruleset';

const jobFile = process.argv[2];
if (jobFile === undefined) {
  process.stderr.write('usage: gateway-server.ts JOB.json\n');
  process.exit(2);
}
const job = JSON.parse(readFileSync(jobFile, 'utf8')) as GatewayJob;
const mb = (bytes: number): number => Math.round(bytes / 1_048_576);
const logger = createLogger('info');

// Material: read and generated before the clock starts (a store read, in serve).
const caPem = readFileSync(job.caFile, 'utf8');
const hosts: { hostname: string; certPem: string; keyPem: string }[] = [
  {
    hostname: job.hostname,
    certPem: readFileSync(job.serverCertFile, 'utf8'),
    keyPem: readFileSync(job.serverKeyFile, 'utf8'),
  },
];
if (job.otherHostsFile !== null) {
  const others = JSON.parse(readFileSync(job.otherHostsFile, 'utf8')) as HostCertificates;
  for (const { hostname, certPem } of others.hosts) hosts.push({ hostname, certPem, keyPem: others.keyPem });
}
// As the store lists them: uppercase hex without leading zeros (test/helpers/pki.ts serialHex).
const revoked = new Set<string>();
while (revoked.size < job.revokedSerials) revoked.add(randomSerial().toUpperCase());
if (revoked.delete(job.clientSerialHex)) revoked.add(randomSerial().toUpperCase());
const revokedList = [...revoked];
const upstream = parseUpstreamTarget(`http://127.0.0.1:${job.upstreamPort}`);

// The snapshot, as the compiler builds it: one revocation index for the snapshot (keyed by the
// CA's PEM), shared by every host policy, then one createHostPolicy per hostname.
const buildStart = performance.now();
const revocations = buildRevocationIndex(new Map([[caPem, revokedList]]));
const policies: HostPolicy[] = [];
for (const host of hosts) {
  policies.push(
    createHostPolicy({
      hostname: host.hostname,
      zoneId: ZONE_ID,
      certPem: host.certPem,
      keyPem: host.keyPem,
      clientCaPems: [caPem],
      clientAuth: 'optional',
      revocations,
    }),
  );
}
const policiesMs = performance.now() - buildStart;
// Issue 6: the route is an mtls_dynamic API, and the bench client's certificate has a key.
const api: ApiRuntime | undefined = job.dynamicMtls
  ? Object.freeze({
      id: API_ID,
      zoneId: ZONE_ID,
      accountId: ACCOUNT_ID,
      name: 'bench API',
      authMode: 'mtls_dynamic' as const,
      tokenRequired: false,
      allowedLeafSha256: new Set<string>(),
      rateLimit: null,
    })
  : undefined;
const keys = job.dynamicMtls
  ? new KeyIndex([
      Object.freeze({
        id: 'bench-key',
        accountId: ACCOUNT_ID,
        alias: 'bench client',
        binding: { kind: 'leaf_sha256' as const, value: job.clientSha256 },
        active: true,
        expiresAtMs: null,
        limits: Object.freeze({
          access: compileAccessRights([{ apiId: API_ID, methods: [], paths: [] }]),
          // Counted on every request, never reached: the cost of counting, not of refusing.
          rateLimit: job.dynamicWithout.includes('rate-limit') ? null : { rate: 1_000_000_000, per: 1 },
          quota: null,
        }),
      }),
    ])
  : undefined;
const routes: RouteRuntime[] = hosts.map((host, index) =>
  Object.freeze({
    id: `route-${index}`,
    zoneId: ZONE_ID,
    hostname: host.hostname,
    pathPrefix: '/',
    upstream,
    stripPrefix: false,
    ...(index === 0 && api !== undefined ? { api } : {}),
  }),
);
const rulesStart = performance.now();
const expressions = job.rules ? [mtlsRule(job.hostname), ...BENCH_RULES] : [];
const customRules: CustomRuleRuntime[] = expressions.map((expression, index) =>
  Object.freeze({
    rulesetId: RULESET_ID,
    ruleId: `rule-${index}`,
    ref: index === 0 ? 'portcullis_mtls_rule' : `bench-rule-${index}`,
    action: 'block' as const,
    evaluate: compileExpression(expression).evaluate,
    response: undefined,
  }),
);
const rulesMs = performance.now() - rulesStart;
const zone: ZoneRuntime = Object.freeze({
  zoneId: ZONE_ID,
  customRules: Object.freeze(customRules),
  identityFormats: Object.freeze<IdentityFormat[]>(job.identity === 'xfcc' ? ['xfcc'] : []),
});
const defaultPolicy = createDefaultPolicy({ certPem: hosts[0]!.certPem, keyPem: hosts[0]!.keyPem });
const snapshot = new GatewaySnapshot(1, policies, defaultPolicy, {
  routes: new RouteTable(routes),
  zones: [zone],
  ...(keys === undefined ? {} : { keys }),
});
const snapshots = new SnapshotHolder(snapshot);
const buildMs = performance.now() - buildStart;

// The set-up must be what it claims: the measured host revokes the N serials, not the bench client.
const measured = snapshot.lookup(job.hostname);
const caFingerprint = new X509Certificate(caPem).fingerprint256;
if (measured === undefined || measured.revocations.size !== job.revokedSerials) {
  throw new Error(
    `revocation index of ${job.hostname}: ${measured?.revocations.size} serials, expected ${job.revokedSerials}`,
  );
}
if (revokedList.length > 0 && !measured.revocations.isRevoked(caFingerprint, revokedList[0]!)) {
  throw new Error('a revoked serial is not found in the revocation index (issuer key mismatch?)');
}
if (measured.revocations.isRevoked(caFingerprint, job.clientSerialHex)) throw new Error('the bench client is revoked');

const guard = new FaultGuard({ logger });
const forwarders = new UpstreamForwarders(guard);
// Issue 6: the real analytics recorder (batched writes to a SQLite store) and metrics, as serve wires them.
const store =
  job.dynamicMtls && !job.dynamicWithout.includes('analytics')
    ? await openStore({ kind: 'sqlite', file: join(job.workDir, `analytics-${process.pid}.db`) })
    : undefined;
const observability =
  store === undefined ? undefined : new ServeTelemetry(store, new TenancyService(store), {}, logger);
observability?.start();
const listener = new MtlsListener({
  listen: { host: '127.0.0.1', port: 0 },
  snapshots,
  sessionTickets: job.sessionTickets,
  handler: new GatewayRequestHandler({
    pki: new PublicPki(),
    snapshots,
    forwarders,
    ruleHits: new RuleHitCounters(),
    ...(job.dynamicMtls ? { counters: new MemoryUsageCounters() } : {}),
    ...(observability === undefined ? {} : { analytics: observability.requestSink }),
    logger,
    guard,
  }),
  logger,
  guard,
});
const { port } = await listener.start();

const memory = process.memoryUsage();
const ready: GatewayReady = {
  port,
  figures: {
    hosts: hosts.length,
    revokedPerHost: measured.revocations.size,
    rules: customRules.length,
    snapshotBuildMs: Math.round(buildMs),
    policiesMs: Math.round(policiesMs),
    rulesCompileMs: Math.round(rulesMs),
    heapUsedMb: mb(memory.heapUsed),
  },
};
process.stdout.write(JSON.stringify(ready) + '\n');

process.on('SIGTERM', () => {
  void listener
    .drain(1_000)
    .then(() => forwarders.close())
    .then(() => observability?.close())
    .then(() => store?.close())
    .finally(() => process.exit(0));
});
