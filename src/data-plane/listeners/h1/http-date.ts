/**
 * The Date field value (RFC 9110 §5.6.7 IMF-fixdate), made at most once per second: every response
 * of the lean HTTP/1.1 loop that has none of its own carries it (RFC 9110 §6.6.1).
 */
let cachedSecond = -1;
let cachedValue = '';

export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}
