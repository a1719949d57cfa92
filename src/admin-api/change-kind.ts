/**
 * What a successful write through the API changed, as its route declares it (`config: REVOCATIONS_ONLY`), for the
 * composition root's `onChange`: a change that only revoked or reactivated client certificates is carried to the
 * other processes as such, and none of them recompiles its snapshot for it (control/publish/config-change-feed.ts).
 * A route that declares nothing changed the configuration: the safe default, a full rebuild everywhere.
 */
import type { FastifyRequest } from 'fastify';

export type ChangeKind = 'configuration' | 'revocations';

/**
 * Route config of a write that changes the status of client certificates and nothing else: the service has already
 * brought this process's revocation sets up to date before it answers.
 */
export const REVOCATIONS_ONLY = { changes: 'revocations' } as const;

export function changeKindOf(request: FastifyRequest): ChangeKind {
  const config = request.routeOptions.config as { changes?: unknown } | undefined;
  return config?.changes === REVOCATIONS_ONLY.changes ? 'revocations' : 'configuration';
}
