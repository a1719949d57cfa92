/**
 * `GET /healthz` and `GET /readyz` on the admin listener, outside /client/v4 and without a token:
 * load balancers and orchestrators have none. `/healthz` answers 200 whenever the process's event
 * loop runs (a liveness check: restart the process when it stops answering). `/readyz` answers 200
 * when the gateway should get traffic and 503 when not, with the checks and their outcomes
 * (observability/readiness.ts), which name no tenant and carry no error text. Both are on the
 * admin listener, so the advice of routes/metrics.ts applies: expose them, not the listener.
 */
import type { AdminApp } from '../admin-app.ts';
import type { ReadinessReport } from '../../observability/readiness.ts';

export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';

export interface HealthSource {
  readiness(): Promise<ReadinessReport>;
}

export function healthRoutes(app: AdminApp, health: HealthSource): void {
  app.get(HEALTHZ_PATH, { schema: { hide: true } }, (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  app.get(READYZ_PATH, { schema: { hide: true } }, async (_request, reply) => {
    const { ready, checks } = await health.readiness();
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ready' : 'not_ready', checks });
  });
}
