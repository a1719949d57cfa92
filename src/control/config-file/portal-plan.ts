/**
 * planPortalProducts: an account's products of the developer portal, as the configuration file
 * declares them (`accounts[].portal_products`, docs/adr/0017), matched by name: created when new,
 * updated when changed, left alone when the same. Products the file does not name are kept (they
 * may hold developers' approved keys: delete them through the API or the CLI). APIs and the policy
 * are resolved when the write runs, after the zones and policies of the file were written.
 */
import type { DeclaredPortalProduct } from '../../config/gateway-config-portal.ts';
import type { LoadedAccount } from '../../config/load-gateway-config.ts';
import { configInvalid, excerpt } from '../../config/yaml-cursor.ts';
import { GatewayError } from '../../errors/index.ts';
import { ResolvedIds, type PlanContext, type PlannedWrite } from './plan-parts.ts';
import { normaliseZoneName } from '../tenancy/tenancy-service.ts';

export function planPortalProducts(account: LoadedAccount, context: PlanContext): PlannedWrite[] {
  const declared = account.portalProducts;
  if (declared === undefined) return [];
  return declared.map((product) => ({
    kind: 'portal_product',
    target: `account ${account.name}: portal product ${product.name}`,
    run: (ids) => writeProduct(account, product, ids, context),
  }));
}

async function writeProduct(
  account: LoadedAccount,
  product: DeclaredPortalProduct,
  ids: ResolvedIds,
  context: PlanContext,
): Promise<void> {
  const { services, principal } = context;
  const accountId = ids.get(ResolvedIds.accountKey(account.name));
  const apiIds = product.apis.map((api) => {
    const name = api.value.trim();
    const zone = account.zones.find((candidate) => candidate.apis.some((item) => item.input.name.trim() === name));
    return ids.get(ResolvedIds.apiKey(zone === undefined ? '' : normaliseZoneName(zone.name), name));
  });
  const policies = await services.policies.list(principal, accountId);
  const policy = policies.find((candidate) => candidate.name === product.policy.value.trim());
  if (policy === undefined) {
    throw configInvalid(product.policy.where, `no policy named ${excerpt(product.policy.value)} in this account`);
  }
  const input = {
    name: product.name,
    api_ids: apiIds,
    policy_id: policy.id,
    ...(product.description === undefined ? {} : { description: product.description }),
    ...(product.approvalMode === undefined ? {} : { approval_mode: product.approvalMode }),
    ...(product.validityDays === undefined ? {} : { validity_days: product.validityDays }),
    ...(product.published === undefined ? {} : { published: product.published }),
  };
  const stored = (await services.portal.products.list(principal)).find(
    (candidate) => candidate.accountId === accountId && candidate.name === product.name.trim(),
  );
  const same =
    stored !== undefined &&
    stored.policyId === input.policy_id &&
    stored.apiIds.join() === [...new Set(apiIds)].join() &&
    (product.description === undefined || stored.description === product.description.trim()) &&
    (product.approvalMode === undefined || stored.approvalMode === product.approvalMode) &&
    (product.validityDays === undefined || stored.validityDays === product.validityDays) &&
    (product.published === undefined || stored.published === product.published);
  if (same) return;
  try {
    if (stored === undefined) await services.portal.products.create(principal, { account_id: accountId, ...input });
    else await services.portal.products.update(principal, stored.id, input);
  } catch (error) {
    // The service's reason, at the product's place in the file.
    if (error instanceof GatewayError && error.httpStatus < 500) throw configInvalid(product.where, error.message);
    throw error;
  }
}
