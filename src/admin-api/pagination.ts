/**
 * Paging of list endpoints (reference §1.5, §4.2). The SDK's V4PagePaginationArray fetches pages
 * until one comes back empty, so a page past the end is a 200 with `result: []`, never an error.
 * `offset`/`limit`, when given, win over `page`/`per_page`. `per_page` is clamped, not refused.
 */
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

export function planPage(query: PageQuery, defaults = { perPage: 20, min: 5, max: 50 }): PagePlan {
  const perPage = Math.min(defaults.max, Math.max(defaults.min, Math.trunc(query.per_page ?? defaults.perPage)));
  const page = Math.max(1, Math.trunc(query.page ?? 1));
  if (query.offset !== undefined || query.limit !== undefined) {
    const limit = Math.min(defaults.max, Math.max(1, Math.trunc(query.limit ?? perPage)));
    const offset = Math.max(0, Math.trunc(query.offset ?? 0));
    return { offset, limit, page: Math.floor(offset / limit) + 1, perPage: limit };
  }
  return { offset: (page - 1) * perPage, limit: perPage, page, perPage };
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
