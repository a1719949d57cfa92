/**
 * `accounts[].portal_products` of the `serve --config` file: the account's products of the
 * developer portal (docs/adr/0017), matched by name. `apis` names APIs of the account's zones in
 * the file; `policy` names a policy of the account (of the file or already stored).
 */
import type { DeclaredZone, Located } from './gateway-config-model.ts';
import { configInvalid, excerpt, type YamlCursor } from './yaml-cursor.ts';
import { located, unique } from './yaml-items.ts';

export interface DeclaredPortalProduct {
  readonly where: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly apis: readonly Located<string>[];
  readonly policy: Located<string>;
  readonly approvalMode: string | undefined;
  readonly validityDays: number | undefined;
  readonly published: boolean | undefined;
}

export function readPortalProducts(cursor: YamlCursor, zones: readonly DeclaredZone[]): DeclaredPortalProduct[] {
  const products = cursor.items().map((item) => readPortalProduct(item, zones));
  unique(products, (product) => product.name.trim(), 'portal product name');
  return products;
}

function readPortalProduct(cursor: YamlCursor, zones: readonly DeclaredZone[]): DeclaredPortalProduct {
  const fields = cursor.fields([
    'name',
    'description',
    'apis',
    'policy',
    'approval_mode',
    'validity_days',
    'published',
  ]);
  const apisCursor = fields.required('apis');
  const apis = apisCursor.items().map(located);
  if (apis.length === 0) throw configInvalid(apisCursor.where, 'a product lists at least one API');
  const declared = new Set(zones.flatMap((zone) => zone.apis.map((api) => api.input.name.trim())));
  for (const api of apis) {
    if (!declared.has(api.value.trim())) {
      throw configInvalid(api.where, `no API named ${excerpt(api.value)} in this account's zones in this file`);
    }
  }
  return {
    where: cursor.where,
    name: fields.required('name').string(),
    description: fields.optional('description')?.string(),
    apis,
    policy: located(fields.required('policy')),
    approvalMode: fields.optional('approval_mode')?.string(),
    validityDays: fields.optional('validity_days')?.number(),
    published: fields.optional('published')?.boolean(),
  };
}
