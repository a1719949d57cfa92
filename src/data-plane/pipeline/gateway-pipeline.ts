/**
 * GatewayPipeline: one request through `portcullis serve`'s data plane (docs/architecture.md, "A request's path"), the same
 * for both client protocols, reading only the current snapshot (no store read):
 *
 *   host check: Host / :authority belongs to the connection's SNI policy     ─✗ 421
 *     (and the certificate's revocation status; a certificate of an uploaded CA whose OCSP status
 *     is not cached yet waits here for its own check, bounded by the CA's OCSP timeout)
 *     └ request path: no dot segments or encoded separators                  ─✗ 400
 *       └ custom rules of the zone (compiled closures)                       ─✗ 403 or custom response
 *         └ route or API: hostname + longest path prefix                     ─✗ 404
 *           └ API auth: keyless / mtls_static / mtls_dynamic / token         ─✗ 401 / 403
 *             └ rate limit, quota                                            ─✗ 429 / 403
 *               └ upstream headers: strip client-sent identity (and a gateway key), set the zone's
 *                 └ proxy HTTP/1.1, HTTP/2, gRPC                             ─✗ 502 / 504
 *                   └ analytics record and metrics, once the response is done
 */
import type { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http2';
import type { Logger } from 'pino';
import {
  GW_ERR_INTERNAL,
  GW_ERR_LIMITS_UNAVAILABLE,
  GW_ERR_REQUEST_INVALID,
  GW_ERR_ROUTE_NOT_FOUND,
} from '../../errors/index.ts';
import { CountersUnavailableError, type UsageCounters } from '../../policy/usage-counters.ts';
import { DISCARD_ANALYTICS, type AnalyticsSink } from '../../runtime-config/analytics-sink.ts';
import type { AnalyticsRecord, MtlsStatus } from '../../model/records.ts';
import type { GatewaySnapshot, SnapshotHolder } from '../../runtime-config/gateway-snapshot.ts';
import type { RuleHitRecorder } from '../../runtime-config/rule-hits.ts';
import { upstreamPath, type RouteRuntime } from '../../runtime-config/route-table.ts';
import type { ApiRuntime, KeyRuntime } from '../../runtime-config/api-runtime.ts';
import type { CustomRuleRuntime, ZoneRuntime } from '../../runtime-config/zone-runtime.ts';
import { decideHostRequest, type HostDecision } from './host-decision.ts';
import type { ConnectionIdentity } from '../listeners/connection-identity.ts';
import { answerBlocked, refuseWithHeaders } from './gateway-response.ts';
import { certificateStatusFor, withMtlsStatus } from './mtls-status-answer.ts';
import { RequestRuleContext, type RuleRequestInput } from './request-rule-context.ts';
import { requestTargetProblem } from './request-target.ts';
import { runCustomRules } from './custom-rules-phase.ts';
import { decideApiAccess } from './api-access.ts';
import { applyApiLimits, applyApiLimitsNow, hasLimits, type LimitOutcome } from './api-limits.ts';
import { GRPC_NEEDS_HTTP2, type UpstreamForwarders } from '../upstream/upstream-forwarders.ts';
import { DEFAULT_FORMATS, identityHeadersOf } from './zone-identity-headers.ts';
import { buildUpstreamHeaders } from '../upstream/upstream-headers.ts';
import { ExtraHeadersSink } from '../upstream/extra-headers-sink.ts';
import type { ResponseSink } from '../upstream/exchange.ts';
import type { FaultGuard } from '../guard/fault-guard.ts';
import type { OcspStatusSource, OcspVerdict, RevocationObserver } from '../../runtime-config/uploaded-ca-revocation.ts';
import type { RevocationContext } from './uploaded-ca-revocation-check.ts';

export interface GatewayPipelineOptions {
  readonly snapshots: SnapshotHolder;
  readonly forwarders: UpstreamForwarders;
  readonly ruleHits: RuleHitRecorder;
  /** Needed by APIs with limits; without it such requests are refused (500), never let through uncounted. */
  readonly counters?: UsageCounters;
  /** Default: none (DISCARD_ANALYTICS, and no per-request observation at all). */
  readonly analytics?: AnalyticsSink;
  /**
   * Revocation of uploaded CAs: OCSP answers (without it, a CA that checks OCSP gets "unknown") and
   * who hears of statuses that cannot be established (metrics, logs, learnt CRL distribution points).
   */
  readonly revocation?: { readonly ocsp?: OcspStatusSource; readonly observer?: RevocationObserver };
  readonly logger: Logger;
  /** For the continuation of remote (Redis) limits: it runs outside the listener's guarded handler. */
  readonly guard: FaultGuard;
}

/** Should the OCSP port ever reject (it must not): the status is unknown, and the CA's fail mode decides. */
const OCSP_FAILED: OcspVerdict = Object.freeze({ status: 'unavailable', reason: 'ocsp_failed' });

/** What the pipeline is told once the response is done (or the client went away). */
export interface ResponseReport {
  /** `status`: the status sent (CLIENT_CLOSED_REQUEST when none was); body bytes in, bytes out. */
  done(status: number, bytesIn: number, bytesOut: number): void;
}

/**
 * One request, whichever protocol it came in on. The handler makes one per request: methods, not
 * closures, so that a request costs one object (HTTP/1.1: Http1GatewayRequest).
 */
export interface GatewayRequest extends RuleRequestInput {
  readonly headers: IncomingHttpHeaders;
  /** Host header or :authority as sent. */
  readonly authority: string;
  readonly grpc: boolean;
  /** The request body, made on demand (HTTP/2 needs a PassThrough); null when there is none. */
  body(): Readable | null;
  /** Called at most once, before anything is answered: `report.done` once the response is done. */
  onDone(report: ResponseReport): void;
  /** Where the answer goes; refusals of the host decision close the connection after it (HTTP/1.1). */
  sink(options: SinkOptions): ResponseSink;
}

/** How the connection fares after the answer: refusals of the host decision end it (HTTP/1.1). */
export interface SinkOptions {
  readonly closeConnection: boolean;
}
const CLOSE_CONNECTION: SinkOptions = Object.freeze({ closeConnection: true });
const KEEP_CONNECTION: SinkOptions = Object.freeze({ closeConnection: false });

/** A request that matched no rule: one shared empty list (the record is not changed after it is made). */
const NO_RULE_HITS: readonly string[] = Object.freeze([]);

/**
 * What the pipeline learned about one request, and the analytics record written from it when the
 * response is done (the request's ResponseReport: no closure per request).
 */
class RequestTrace implements ResponseReport {
  zoneId: string | null = null;
  apiId: string | null = null;
  keyId: string | null = null;
  ruleHits: string[] | undefined = undefined;
  /** What came of the client certificate (mtls-status.ts): for analytics' mtls_status. */
  mtlsStatus: MtlsStatus | undefined = undefined;
  readonly #request: GatewayRequest;
  readonly #identity: ConnectionIdentity;
  readonly #analytics: AnalyticsSink;
  /** performance.now() when the request came in. */
  readonly #startedAt: number;

  constructor(request: GatewayRequest, identity: ConnectionIdentity, analytics: AnalyticsSink, startedAt: number) {
    this.#request = request;
    this.#identity = identity;
    this.#analytics = analytics;
    this.#startedAt = startedAt;
  }

  done(status: number, bytesIn: number, bytesOut: number): void {
    const request = this.#request;
    const identity = this.#identity;
    const fields = identity.presented ? identity.fields() : undefined;
    const target = request.target;
    const question = target.indexOf('?');
    const record: AnalyticsRecord = {
      timeMs: Date.now(),
      zoneId: this.zoneId,
      apiId: this.apiId,
      keyId: this.keyId,
      hostname: request.host,
      method: request.method,
      path: question < 0 ? target : target.slice(0, question),
      status,
      fingerprint: identity.fingerprint256,
      serial: fields?.serial ?? '',
      issuer: fields?.issuerDn ?? '',
      latencyMs: Math.round(performance.now() - this.#startedAt),
      bytesIn,
      bytesOut,
      ruleHits: this.ruleHits ?? (NO_RULE_HITS as string[]),
    };
    if (this.mtlsStatus !== undefined) record.mtlsStatus = this.mtlsStatus;
    this.#analytics.record(record);
  }
}

/** A request the host decision admitted and a route of its zone matched: what forwarding it needs. */
interface RoutedRequest {
  readonly route: RouteRuntime;
  readonly request: GatewayRequest;
  readonly identity: ConnectionIdentity;
  readonly decision: HostDecision;
  readonly zone: ZoneRuntime | undefined;
}

export class GatewayPipeline {
  readonly #options: GatewayPipelineOptions;
  readonly #analytics: AnalyticsSink;
  readonly #revocation: RevocationContext;

  constructor(options: GatewayPipelineOptions) {
    this.#options = options;
    this.#analytics = options.analytics ?? DISCARD_ANALYTICS;
    this.#revocation = options.revocation ?? {};
  }

  serve(request: GatewayRequest, identity: ConnectionIdentity): void {
    const analytics = this.#analytics;
    const observed = analytics !== DISCARD_ANALYTICS;
    const trace = new RequestTrace(request, identity, analytics, observed ? performance.now() : 0);
    if (observed) request.onDone(trace);
    this.#decide(request, identity, trace, undefined);
  }

  #decide(
    request: GatewayRequest,
    identity: ConnectionIdentity,
    trace: RequestTrace,
    answered: OcspVerdict | undefined,
  ): void {
    const snapshot = this.#options.snapshots.current();
    const revocation = answered === undefined ? this.#revocation : { ...this.#revocation, answered };
    const decision = decideHostRequest(identity, request.host, snapshot, Date.now(), revocation);
    if (decision.pending !== undefined) {
      // After the certificate's own OCSP check: decided again, with its answer, on the snapshot
      // current then; outside the listener's call stack, so through the guard (ADR 0011).
      this.#options.guard.settle(
        decision.pending,
        'ocsp_check',
        request.sink(CLOSE_CONNECTION),
        (verdict) => this.#decide(request, identity, trace, verdict),
        () => this.#decide(request, identity, trace, OCSP_FAILED),
      );
      return;
    }
    const policy = decision.policy;
    trace.mtlsStatus = decision.mtlsStatus;
    if (decision.error !== undefined || policy === undefined) {
      // A refused certificate or a misdirected request gets one clear answer, then the connection ends.
      this.#options.logger.info(
        {
          code: decision.error?.code,
          mtlsStatus: decision.mtlsStatus,
          host: request.host,
          fingerprint: identity.fingerprint256,
          ...(identity.failure === undefined || !identity.presented ? {} : { reason: identity.failure }),
        },
        'request refused',
      );
      request.sink(CLOSE_CONNECTION).fail(withMtlsStatus(decision.error ?? GW_ERR_INTERNAL, decision));
      return;
    }
    trace.zoneId = policy.zoneId ?? null;
    const badPath = requestTargetProblem(request.target);
    if (badPath !== undefined) {
      request.sink(CLOSE_CONNECTION).fail(GW_ERR_REQUEST_INVALID.create(`the path has ${badPath}`));
      return;
    }
    const zone = snapshot.zone(policy.zoneId);
    if (zone !== undefined && zone.customRules.length > 0) {
      const blocked = this.#runRules(zone, request, identity, decision, trace);
      if (blocked !== undefined) {
        answerBlocked(blocked, request.grpc, request.sink(KEEP_CONNECTION), certificateStatusFor(policy, decision));
        return;
      }
    }
    const route = snapshot.routes.match(request.host, request.target);
    const sink = request.sink(KEEP_CONNECTION);
    if (route === undefined || route.zoneId !== policy.zoneId) {
      sink.fail(GW_ERR_ROUTE_NOT_FOUND);
      return;
    }
    const routed: RoutedRequest = { route, request, identity, decision, zone };
    if (route.api === undefined) {
      this.#forward(routed, sink, false);
      return;
    }
    this.#serveApi(routed, route.api, snapshot, sink, trace);
  }

  #serveApi(
    routed: RoutedRequest,
    api: ApiRuntime,
    snapshot: GatewaySnapshot,
    sink: ResponseSink,
    trace: RequestTrace,
  ): void {
    const { request, identity, decision } = routed;
    trace.apiId = api.id;
    const authorization = request.headers.authorization;
    const access = decideApiAccess(api, identity, decision, snapshot.keys, {
      method: request.method,
      target: request.target,
      authorization,
      nowMs: Date.now(),
    });
    if (!access.allowed) {
      this.#options.logger.info(
        {
          code: access.error.code,
          api: api.id,
          fingerprint: identity.fingerprint256,
          remoteAddress: request.clientAddress,
        },
        'API request refused',
      );
      sink.fail(access.error);
      return;
    }
    const key: KeyRuntime | undefined = access.key;
    trace.keyId = key?.id ?? null;
    // A gateway key is the gateway's business: it never travels to the upstream.
    const stripAuthorization = authorization !== undefined && (api.authMode === 'token' || api.tokenRequired);
    if (!hasLimits(api, key)) {
      this.#forward(routed, sink, stripAuthorization);
      return;
    }
    const counters = this.#options.counters;
    if (counters === undefined) {
      this.#options.logger.error({ api: api.id }, 'API has limits but the gateway has no usage counters: refused');
      sink.fail(GW_ERR_INTERNAL);
      return;
    }
    // In-process counters answer at once (no promise, no microtask, no closure); a remote backend is awaited.
    let now: LimitOutcome | undefined;
    try {
      now = applyApiLimitsNow(api, key, counters);
    } catch (error) {
      this.#limitsFailed(api, request, sink, error);
      return;
    }
    if (now !== undefined) {
      this.#afterLimits(routed, sink, stripAuthorization, now);
      return;
    }
    this.#options.guard.settle(
      applyApiLimits(api, key, counters),
      'usage_limits',
      sink,
      (outcome) => this.#afterLimits(routed, sink, stripAuthorization, outcome),
      (error) => this.#limitsFailed(api, request, sink, error),
    );
  }

  #afterLimits(routed: RoutedRequest, sink: ResponseSink, stripAuthorization: boolean, outcome: LimitOutcome): void {
    if (outcome.error !== undefined) {
      refuseWithHeaders(sink, outcome.error, outcome.headers, routed.request.grpc);
      return;
    }
    this.#forward(routed, new ExtraHeadersSink(sink, outcome.headers), stripAuthorization);
  }

  #limitsFailed(api: ApiRuntime, request: GatewayRequest, sink: ResponseSink, error: unknown): void {
    // Fail closed, but as what it is: the counters (Redis) are unavailable, which clients may retry.
    // An outage is logged once by the counters' owner (store/counters/redis-health.ts), not per request.
    if (error instanceof CountersUnavailableError)
      this.#options.logger.debug({ api: api.id }, 'limits unavailable: refused');
    else this.#options.logger.error({ err: (error as Error).message, api: api.id }, 'usage counters failed: refused');
    refuseWithHeaders(sink, GW_ERR_LIMITS_UNAVAILABLE, { 'retry-after': '1' }, request.grpc);
  }

  /** `stripAuthorization`: the request's Authorization carried a gateway key, which never goes upstream. */
  #forward(routed: RoutedRequest, sink: ResponseSink, stripAuthorization: boolean): void {
    const { route, request, identity, decision, zone } = routed;
    const forwarder = this.#options.forwarders.forwarderFor(route.upstream, request.grpc);
    if (forwarder === undefined) {
      sink.fail(GRPC_NEEDS_HTTP2);
      return;
    }
    const headers = buildUpstreamHeaders(request.headers, {
      clientAddress: request.clientAddress,
      host: request.authority,
      identityHeaders: identityHeadersOf(identity, zone?.identityFormats ?? DEFAULT_FORMATS, decision),
      keepTeTrailers: request.grpc,
    });
    if (stripAuthorization) delete headers.authorization;
    forwarder.forward(
      {
        method: request.method,
        path: upstreamPath(route, request.target),
        authority: request.authority,
        headers,
        body: request.body(),
        timeoutMs: route.upstreamTimeoutMs,
      },
      sink,
    );
  }

  #runRules(
    zone: ZoneRuntime,
    request: GatewayRequest,
    identity: ConnectionIdentity,
    decision: HostDecision,
    trace: RequestTrace,
  ): CustomRuleRuntime | undefined {
    const context = new RequestRuleContext(request, identity, decision.certVerified, decision.certRevoked);
    const blocked = runCustomRules(zone.customRules, context, this.#options.ruleHits, (rule) => {
      (trace.ruleHits ??= []).push(rule.ruleId);
      if (rule.action === 'log') this.#logRuleHit(rule, request, identity, 'custom rule matched (log)');
    });
    if (blocked !== undefined) this.#logRuleHit(blocked, request, identity, 'request blocked by a custom rule');
    return blocked;
  }

  #logRuleHit(rule: CustomRuleRuntime, request: GatewayRequest, identity: ConnectionIdentity, message: string): void {
    this.#options.logger.info(
      {
        rulesetId: rule.rulesetId,
        ruleId: rule.ruleId,
        ref: rule.ref,
        action: rule.action,
        host: request.host,
        method: request.method,
        fingerprint: identity.fingerprint256,
        remoteAddress: request.clientAddress,
        // Why the certificate is not verified, for rules that act on cert_verified (never sent to the client).
        ...(identity.presented && identity.failure !== undefined ? { certificateFailure: identity.failure } : {}),
      },
      message,
    );
  }
}
