/**
 * Deciding one access request twice at once, against a real `serve` (SQLite) and the real admin
 * API: of concurrent approvals (or an approval and a rejection) exactly one wins, at most one
 * certificate is issued and one key made, and every other call gets 409 GW_ERR_PORTAL_REQUEST_STATE
 * (docs/adr/0017, "Credentials and approval").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { invitedDeveloper, startPortalWorld, type DeveloperClient, type PortalWorld } from './portal-fixture.ts';

const REQUEST_STATE = 12240;
const CONCURRENT = 4;

describe('portal: concurrent decisions on one access request', () => {
  let world: PortalWorld;
  let openssl: OpensslWorkdir;
  let developer: DeveloperClient;
  let appId: string;

  before(async () => {
    world = await startPortalWorld();
    openssl = new OpensslWorkdir();
    developer = await invitedDeveloper(world, 'race@example.com');
    appId = (await developer.ok<{ id: string }>('POST', '/api/apps', { name: 'race app' })).id;
  });
  after(async () => {
    openssl.remove();
    await world.stop();
  });

  const pendingRequest = async (cn: string): Promise<string> =>
    (
      await developer.ok<{ id: string }>('POST', `/api/apps/${appId}/requests`, {
        product_id: world.ordersProductId,
        credential: { kind: 'csr', csr: openssl.csr('p256', `/CN=${cn}`).csrPem },
      })
    ).id;

  /** Keys that name this request in their metadata, as the operator sees them. */
  const keysFor = async (requestId: string): Promise<number> => {
    const keys = await world.ok<{ metadata: Record<string, string> }[]>(
      'GET',
      `/accounts/${world.accountId}/gateway/keys`,
    );
    return keys.filter((key) => key.metadata.portal_request_id === requestId).length;
  };
  /** Certificates the managed CA issued for this CN (revoked ones too: issuing is what counts). */
  const issuedFor = async (cn: string): Promise<number> =>
    (await world.ok<unknown[]>('GET', `/zones/${world.zoneId}/client_certificates?status=all&search=${cn}`)).length;

  test('concurrent approvals: one 200, the others 409, one certificate and one key', async () => {
    const cn = 'race-approve';
    const id = await pendingRequest(cn);
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        world.server.call('POST', `/portal/access_requests/${id}/approve`, { message: `approval ${i}` }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [200, ...Array<number>(CONCURRENT - 1).fill(409)], JSON.stringify(statuses));
    for (const answer of answers.filter((a) => a.status === 409)) {
      assert.equal(answer.body.errors[0]?.code, REQUEST_STATE);
    }
    assert.equal(await keysFor(id), 1, 'one key');
    assert.equal(await issuedFor(cn), 1, 'one certificate issued');
    const stored = await world.ok<{ status: string; key_id: string }>('GET', `/portal/access_requests/${id}`);
    assert.equal(stored.status, 'approved');
  });

  test('approve and reject at once: one wins, the other 409, and the outcome is consistent', async () => {
    const cn = 'race-mixed';
    const id = await pendingRequest(cn);
    const answers = await Promise.all([
      world.server.call('POST', `/portal/access_requests/${id}/approve`, {}),
      world.server.call('POST', `/portal/access_requests/${id}/reject`, { message: 'no' }),
      world.server.call('POST', `/portal/access_requests/${id}/approve`, {}),
      world.server.call('POST', `/portal/access_requests/${id}/reject`, { message: 'no' }),
    ]);
    const won = answers.filter((answer) => answer.status === 200);
    assert.equal(won.length, 1, JSON.stringify(answers.map((answer) => answer.status)));
    assert.ok(answers.every((answer) => answer.status === 200 || answer.body.errors[0]?.code === REQUEST_STATE));
    const stored = await world.ok<{ status: string; key_id: string | null }>('GET', `/portal/access_requests/${id}`);
    const winner = (won[0]?.body.result as { status: string } | undefined)?.status;
    assert.equal(stored.status, winner);
    const approved = stored.status === 'approved' ? 1 : 0;
    assert.equal(await keysFor(id), approved);
    assert.equal(await issuedFor(cn), approved);
  });

  test('the developer withdrawing while the operator approves: the request ends consistent with its key', async () => {
    const id = await pendingRequest('race-withdraw');
    const answers = await Promise.all([
      world.server.call('POST', `/portal/access_requests/${id}/approve`, {}),
      developer.call('POST', `/api/requests/${id}/revoke`),
    ]);
    // Either one wins and the other is 409, or the approval ends first and the developer then
    // revokes what it made (both 200): never a rejected request with a live key.
    for (const answer of answers) {
      assert.ok(answer.status === 200 || answer.body.errors[0]?.code === REQUEST_STATE, JSON.stringify(answer.body));
    }
    const stored = await world.ok<{ status: string }>('GET', `/portal/access_requests/${id}`);
    assert.notEqual(stored.status, 'pending');
    assert.equal(await keysFor(id), stored.status === 'approved' ? 1 : 0, `status ${stored.status}`);
  });
});
