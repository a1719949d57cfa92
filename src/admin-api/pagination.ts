/**
 * Paging of list endpoints (cloudflare-compatibility.md §1.5, §4.2). The SDK's V4PagePaginationArray fetches pages
 * until one comes back empty, so a page past the end is a 200 with `result: []`, never an error.
 * `offset`/`limit`, when given, win over `page`/`per_page`. `per_page` and `limit` within their
 * bounds are clamped to what the endpoint serves (5–50 by default), not refused.
 *
 * Every value must be a whole number within PAGE_BOUNDS, else 400 (GW_ERR_API_VALIDATION): a query
 * string is client input, and `1e308`, `Infinity`, `-1` or `1.5` once reached the store as an SQL
 * OFFSET and came back as a 500. The schema (PAGE_QUERY) says so to the validator and the OpenAPI
 * document; planPage checks again, so a route whose schema forgot a field is still bounded.
 */
import { Type } from 'typebox';
import { GW_ERR_API_VALIDATION } from '../errors/index.ts';
import type { ResultInfo } from './envelope.ts';

export interface PageQuery {
  page?: number;
  per_page?: number;
  offset?: number;
  limit?: number;
}

export interface PagePlan {
  offset: number;
  limit: number;
  page: number;
  perPage: number;
}

/**
 * What a paging parameter may be. A page past the end is an empty page, so these only keep the
 * arithmetic (offset = (page − 1) × per_page) and the store's OFFSET exact and small: a million
 * pages of 50 is far more than any list here holds.
 */
export const PAGE_BOUNDS = {
  page: { minimum: 1, maximum: 1_000_000 },
  per_page: { minimum: 1, maximum: 1_000_000 },
  offset: { minimum: 0, maximum: 50_000_000 },
  limit: { minimum: 1, maximum: 1_000_000 },
} as const satisfies Record<keyof PageQuery, { minimum: number; maximum: number }>;

/** The querystring fields of a page-numbered list. */
export const PAGE_QUERY = {
  page: Type.Optional(Type.Integer(PAGE_BOUNDS.page)),
  per_page: Type.Optional(Type.Integer(PAGE_BOUNDS.per_page)),
  offset: Type.Optional(Type.Integer(PAGE_BOUNDS.offset)),
  limit: Type.Optional(Type.Integer(PAGE_BOUNDS.limit)),
};

/** The one paging field of a cursor list (rulesets). */
export const PER_PAGE_QUERY = { per_page: PAGE_QUERY.per_page };

export function planPage(query: PageQuery, defaults = { perPage: 20, min: 5, max: 50 }): PagePlan {
  const asked = checkedPageQuery(query);
  const perPage = Math.min(defaults.max, Math.max(defaults.min, asked.per_page ?? defaults.perPage));
  const page = asked.page ?? 1;
  if (asked.offset !== undefined || asked.limit !== undefined) {
    const limit = Math.min(defaults.max, asked.limit ?? perPage);
    const offset = asked.offset ?? 0;
    return { offset, limit, page: Math.floor(offset / limit) + 1, perPage: limit };
  }
  return { offset: (page - 1) * perPage, limit: perPage, page, perPage };
}

/** The paging fields, each a whole number within PAGE_BOUNDS (400 otherwise); absent stays absent. */
export function checkedPageQuery(query: PageQuery): PageQuery {
  const checked: PageQuery = {};
  for (const name of Object.keys(PAGE_BOUNDS) as (keyof PageQuery)[]) {
    const value: unknown = query[name];
    if (value === undefined) continue;
    const { minimum, maximum } = PAGE_BOUNDS[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) {
      throw GW_ERR_API_VALIDATION.create(`${name} must be a whole number from ${minimum} to ${maximum}`);
    }
    checked[name] = value;
  }
  return checked;
}

export function resultInfo(plan: PagePlan, count: number, total: number): ResultInfo {
  return {
    page: plan.page,
    per_page: plan.perPage,
    count,
    total_count: total,
    total_pages: Math.ceil(total / plan.perPage),
  };
}

/** A single page holding everything (SinglePage endpoints). */
export function singlePageInfo(count: number): ResultInfo {
  return { page: 1, per_page: Math.max(count, 1), count, total_count: count, total_pages: 1 };
}

/** Array query parameters arrive repeated (`a=1&a=2`) or comma-separated (`a=1,2`); accept both. */
export function arrayParam(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(','));
  const cleaned = items.map((item) => item.trim()).filter((item) => item !== '');
  return cleaned.length > 0 ? cleaned : undefined;
}
