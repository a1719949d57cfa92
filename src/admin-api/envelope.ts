/**
 * The Cloudflare v4 envelope (cloudflare-compatibility.md §1.2), built in one place: handlers return
 * results, and errors are rendered by the error handler, never by a route.
 */

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

export interface EnvelopeMessage {
  code: number;
  message: string;
  type?: null;
}

export function success(result: unknown, resultInfo?: ResultInfo, messages: EnvelopeMessage[] = []): object {
  return resultInfo === undefined
    ? { success: true, errors: [], messages, result }
    : { success: true, errors: [], messages, result, result_info: resultInfo };
}

export function failure(errors: { code: number; message: string }[]): object {
  return { success: false, errors, messages: [], result: null };
}
