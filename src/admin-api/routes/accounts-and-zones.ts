/**
 * Accounts and zones: `GET/POST /accounts`, `GET /accounts/{id}`, `GET/POST /zones`,
 * `GET/PATCH/DELETE /zones/{id}`. `delegated` (POST and PATCH, operator only) lets a zone overlap
 * zones of other accounts; DELETE answers `{"id"}` as Cloudflare's does, and is refused while the
 * zone is in use (docs/adr/0007-zone-ownership.md).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountRecord, ZoneRecord } from '../../model/records.ts';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { PAGE_QUERY, planPage, resultInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import type { AccountWire, ZoneWire } from '../wire-types.ts';

const HexId = Type.String({ pattern: HEX_ID_PATTERN });
const DELEGATED = Type.Boolean({
  description:
    'Operator (global token) only: the zone may overlap zones of other accounts (be a parent or a subdomain of theirs); the more specific zone serves the hostnames under it',
});

export function accountView(account: AccountRecord): AccountWire {
  return { id: account.id, name: account.name, type: 'standard', created_on: account.createdAt, settings: {} };
}

export function zoneView(zone: ZoneRecord, account: AccountRecord | undefined): ZoneWire {
  return {
    id: zone.id,
    name: zone.name,
    status: 'active',
    type: 'full',
    paused: false,
    account: { id: zone.accountId, name: account?.name ?? '' },
    created_on: zone.createdAt,
    modified_on: zone.createdAt,
    delegated: zone.delegated,
  };
}

export const accountsAndZonesRoutes: FastifyPluginAsyncTypebox<{ services: AdminServices }> = (app, { services }) => {
  const { tenancy } = services;
  const pageQuery = PAGE_QUERY;

  app.get('/accounts', { schema: { tags: ['accounts'], querystring: Type.Object(pageQuery) } }, async (request) => {
    const accounts = await tenancy.listAccounts(principalOf(request));
    const plan = planPage(request.query, { perPage: 20, min: 5, max: 50 });
    const items = accounts.slice(plan.offset, plan.offset + plan.limit);
    return success(items.map(accountView), resultInfo(plan, items.length, accounts.length));
  });

  app.post(
    '/accounts',
    { schema: { tags: ['accounts'], body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }) } },
    async (request) => success(accountView(await tenancy.createAccount(principalOf(request), request.body.name))),
  );

  app.get(
    '/accounts/:account_id',
    { schema: { tags: ['accounts'], params: Type.Object({ account_id: HexId }) } },
    async (request) => success(accountView(await tenancy.getAccount(principalOf(request), request.params.account_id))),
  );

  app.get(
    '/zones',
    {
      schema: {
        tags: ['zones'],
        querystring: Type.Object({
          ...pageQuery,
          name: Type.Optional(Type.String({ maxLength: 253 })),
          'account.id': Type.Optional(HexId),
        }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { name } = request.query;
      const accountId = request.query['account.id'];
      const zones = await tenancy.listZones(principal, {
        ...(name === undefined ? {} : { name }),
        ...(accountId === undefined ? {} : { accountId }),
      });
      const plan = planPage(request.query, { perPage: 20, min: 5, max: 50 });
      const items = zones.slice(plan.offset, plan.offset + plan.limit);
      const accounts = new Map((await tenancy.listAccounts(principal)).map((account) => [account.id, account]));
      return success(
        items.map((zone) => zoneView(zone, accounts.get(zone.accountId))),
        resultInfo(plan, items.length, zones.length),
      );
    },
  );

  app.post(
    '/zones',
    {
      schema: {
        tags: ['zones'],
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 253 }),
          account: Type.Object({ id: HexId }),
          type: Type.Optional(Type.String()),
          delegated: Type.Optional(DELEGATED),
        }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { name, account, delegated } = request.body;
      const zone = await tenancy.createZone(principal, {
        name,
        accountId: account.id,
        ...(delegated === undefined ? {} : { delegated }),
      });
      return success(zoneView(zone, await tenancy.getAccount(principal, zone.accountId)));
    },
  );

  app.delete(
    '/zones/:zone_id',
    {
      schema: {
        tags: ['zones'],
        description:
          'Deletes the zone. Refused (409, 12132) while it has routes, APIs, hostname associations, edge certificates, custom rules or active client certificates; its revoked client certificates stay in the CRL.',
        params: Type.Object({ zone_id: HexId }),
      },
    },
    async (request) => {
      const zone = await tenancy.deleteZone(principalOf(request), request.params.zone_id);
      return success({ id: zone.id });
    },
  );

  app.patch(
    '/zones/:zone_id',
    {
      schema: {
        tags: ['zones'],
        params: Type.Object({ zone_id: HexId }),
        body: Type.Object({ delegated: DELEGATED }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const zone = await tenancy.setDelegated(principal, request.params.zone_id, request.body.delegated);
      return success(zoneView(zone, await tenancy.getAccount(principal, zone.accountId)));
    },
  );

  app.get(
    '/zones/:zone_id',
    { schema: { tags: ['zones'], params: Type.Object({ zone_id: HexId }) } },
    async (request) => {
      const principal = principalOf(request);
      const zone = await tenancy.getZone(principal, request.params.zone_id);
      return success(
        zoneView(
          zone,
          (await tenancy.listAccounts(principal)).find((account) => account.id === zone.accountId),
        ),
      );
    },
  );
  return Promise.resolve();
};
