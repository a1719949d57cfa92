/**
 * The announcement of a change made through the API (to every gateway's snapshot, ADR 0010's change
 * feed): after every successful non-GET, awaited before the answer is sent, so that what a client
 * changed is in force when it reads the response; of the kind its route declares (change-kind.ts).
 *
 * A handler may announce earlier, once its change is committed and before slow work that other
 * gateways need not wait for (a bulk revocation: its CRLs; and its 10,000-id answer). The answer
 * then announces nothing more: a handler that announces early makes no change after it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { changeKindOf, type ChangeKind } from './change-kind.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Announces this request's committed change now (once; a no-op without a change feed). */
    announceChange: () => Promise<void>;
  }
}

const kAnnounced = Symbol('portcullis.announced');
type Announced = { [kAnnounced]?: boolean };

export function installChangeAnnouncement(
  app: FastifyInstance,
  onChange: ((kind: ChangeKind) => Promise<void>) | undefined,
): void {
  app.decorateRequest('announceChange', async function (this: FastifyRequest) {
    const request = this as FastifyRequest & Announced;
    if (onChange === undefined || request[kAnnounced] === true) return;
    request[kAnnounced] = true;
    await onChange(changeKindOf(request));
  });
  if (onChange === undefined) return;
  app.addHook('onSend', async (request, reply, payload) => {
    const early = (request as Announced)[kAnnounced] === true;
    if (!early && request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400) {
      await onChange(changeKindOf(request));
    }
    return payload;
  });
}
