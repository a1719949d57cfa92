/**
 * The demo's developer portal: an mtls_dynamic API on the demo hostname (`/partner`), a policy and
 * a product with automatic approval, and a fresh invitation link for a developer at every start.
 * Idempotent: what exists is reused.
 */
import type { AdminClient } from '../admin-client/admin-client.ts';
import { DEMO_ACCOUNT, DEMO_HOSTNAME } from './demo-setup.ts';

const API_NAME = 'Partner API (portal demo)';
const PRODUCT_NAME = 'Partner API';
const LISTEN_PATH = '/partner';

interface Named {
  id: string;
  name: string;
}

/** Makes sure the portal has a product to offer; returns a new invitation URL. */
export async function configureDemoPortal(api: AdminClient, upstreamUrl: string): Promise<string> {
  const account = (await api.listAll<Named>('/accounts')).find((candidate) => candidate.name === DEMO_ACCOUNT);
  const zone = (await api.listAll<Named>('/zones', { name: DEMO_HOSTNAME }))[0];
  if (account === undefined || zone === undefined) throw new Error('the demo account and zone are missing');
  const apis = await api.get<Named[]>(`/zones/${zone.id}/gateway/apis`);
  const partner =
    apis.find((candidate) => candidate.name === API_NAME) ??
    (await api.send<Named>('POST', `/zones/${zone.id}/gateway/apis`, {
      name: API_NAME,
      hostname: DEMO_HOSTNAME,
      listen_path: LISTEN_PATH,
      upstream_url: upstreamUrl,
      auth: { mode: 'mtls_dynamic' },
    }));
  const policies = await api.get<Named[]>(`/accounts/${account.id}/gateway/policies`);
  const policy =
    policies.find((candidate) => candidate.name === PRODUCT_NAME) ??
    (await api.send<Named>('POST', `/accounts/${account.id}/gateway/policies`, {
      name: PRODUCT_NAME,
      access_rights: [{ api_id: partner.id }],
      rate_limit: { rate: 60, per: 60 },
    }));
  const products = await api.get<Named[]>('/portal/products');
  if (!products.some((candidate) => candidate.name === PRODUCT_NAME)) {
    await api.send('POST', '/portal/products', {
      account_id: account.id,
      name: PRODUCT_NAME,
      description: 'The demo upstream behind mTLS: request access, get a certificate, call it with curl.',
      api_ids: [partner.id],
      policy_id: policy.id,
      approval_mode: 'automatic',
      validity_days: 30,
    });
  }
  const invitation = await api.send<{ url: string | null; path: string }>('POST', '/portal/invitations', {
    expires_in_days: 1,
  });
  return invitation.url ?? invitation.path;
}
