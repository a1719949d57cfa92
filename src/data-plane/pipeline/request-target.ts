/**
 * requestTargetProblem: refuses request paths that mean something else to the upstream than to
 * the gateway. Routes, rules (`http.request.uri.path eq "/admin"`) and access rights (`/public/*`)
 * all match the path as sent; an upstream that resolves `/public/../admin` to `/admin` (RFC 3986
 * §5.2.4) or decodes `%2F` into a separator would act on a path the gateway never checked. Rather
 * than normalise (and risk normalising differently from the upstream), such paths are refused:
 * real clients send them only when asked to (curl --path-as-is).
 *
 *   dot segments              /a/../b   /a/./b   /a/..   (also percent-encoded: %2e%2E)
 *   encoded separators        %2F %5C  (and a raw backslash, which some servers treat as `/`)
 *   NUL                       %00
 */

/** A reason to refuse the path of `target` (origin-form, query ignored), or undefined when it is fine. */
export function requestTargetProblem(target: string): string | undefined {
  const question = target.indexOf('?');
  const end = question < 0 ? target.length : question;
  let segmentStart = 1; // after the leading '/'
  for (let i = 1; i <= end; i++) {
    const c = i < end ? target.charCodeAt(i) : 0x2f; // treat the end as a final separator
    if (c === 0x5c /* \ */) return 'a backslash in the path';
    if (c === 0x25 /* % */ && i + 2 < end + 1) {
      const encoded = target.slice(i + 1, i + 3).toLowerCase();
      if (encoded === '2f' || encoded === '5c') return 'an encoded path separator (%2F or %5C)';
      if (encoded === '00') return 'an encoded NUL (%00)';
    }
    if (c !== 0x2f) continue;
    // Only segments of 1–6 characters can be `.`/`..` (raw or %2e-encoded): no slice for the rest.
    const length = i - segmentStart;
    if (length > 0 && length <= 6 && isDotSegment(target.slice(segmentStart, i))) {
      return 'a dot segment (. or ..) in the path';
    }
    segmentStart = i + 1;
  }
  return undefined;
}

function isDotSegment(segment: string): boolean {
  const decoded = segment.replace(/%2e/gi, '.');
  return decoded === '.' || decoded === '..';
}
