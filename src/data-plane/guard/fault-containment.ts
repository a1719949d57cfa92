/**
 * What a fault caught by the FaultGuard does to the one thing it happened on (ADR 0011). Everything
 * else the process serves goes on; the thing itself ends the way a client can tell apart from a
 * good answer:
 *
 *   HTTP/1.1 exchange, not started   500 GW_ERR_INTERNAL, keep-alive kept (the next request on the
 *                                     connection is served; the loop reads and drops the rest of the body)
 *   HTTP/1.1 exchange, started        its connection destroyed: a cut response, never a wrong one
 *   HTTP/2 stream, not answered       500 GW_ERR_INTERNAL on that stream; the session goes on
 *   HTTP/2 stream, answered           RST_STREAM INTERNAL_ERROR (RFC 9113 §7); the session goes on
 *   HTTP/2 session, socket            destroyed
 *   another ResponseSink              failed with GW_ERR_INTERNAL: 500, or a cut response if started
 *   nothing                           nothing (the fault is logged and counted all the same)
 *
 * An HTTP/1.1 exchange (listeners/h1/http1-exchange.ts, ADR 0022) is a ResponseSink: its `fail` does both.
 */
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import { Socket } from 'node:net';
import { GW_ERR_INTERNAL } from '../../errors/index.ts';
import { sendHttp2Error } from '../pipeline/gateway-response.ts';
import type { ResponseSink } from '../upstream/exchange.ts';

export type FaultTarget = ServerHttp2Stream | Http2Session | Socket | ResponseSink | undefined;

export function containFault(target: FaultTarget): void {
  if (target === undefined) return;
  if (target instanceof Socket) {
    target.destroy();
    return;
  }
  if (isHttp2Stream(target)) {
    sendHttp2Error(target, GW_ERR_INTERNAL, { grpc: false });
    return;
  }
  if (isResponseSink(target)) {
    target.fail(GW_ERR_INTERNAL);
    return;
  }
  target.destroy();
}

/**
 * The last resort when containing failed too (the answer itself threw): the target is destroyed
 * outright, and the connection under it with it when it has one. A sink that can be destroyed (an
 * HTTP/1.1 exchange: its connection) is; another sink is left to the forwarder's own timeouts.
 */
export function destroyTarget(target: FaultTarget): void {
  if (target === undefined) return;
  if (isResponseSink(target)) (target as Partial<Destroyable>).destroy?.();
  else if (isHttp2Stream(target)) target.session?.destroy();
  else target.destroy();
}

interface Destroyable {
  destroy(): void;
}

function isHttp2Stream(target: object): target is ServerHttp2Stream {
  return typeof (target as Partial<ServerHttp2Stream>).respond === 'function';
}

function isResponseSink(target: object): target is ResponseSink {
  return typeof (target as Partial<ResponseSink>).fail === 'function';
}
