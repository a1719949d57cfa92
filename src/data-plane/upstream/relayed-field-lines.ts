/**
 * Which field lines of an upstream HTTP/1.1 response head are relayed to an HTTP/1.1 client as they came (ADR 0023):
 * every line the response parser validated, except the hop-by-hop ones (RFC 9110 §7.6.1: Connection, the fields it
 * names, Keep-Alive, Transfer-Encoding, Upgrade, TE, Trailer, Proxy-Connection… hop-by-hop.ts) and those the gateway
 * writes itself (`replaced`, e.g. its rate-limit headers). The same fields filterResponseHeaders keeps, so the client
 * sees the same fields whichever path its response took; framing and Connection are then the client side's.
 *
 * The parser already left out the lines of the fixed hop-by-hop names while it read them (response-parser.ts
 * fieldLines); what is left to drop here is known only once the whole head is read: the names Connection lists.
 * A relayed line is exactly a line the parser validated (token name, field-value characters, CRLF): nothing is
 * rewritten, so nothing can be injected.
 */
import { isHopByHop, type HeaderMap } from './hop-by-hop.ts';

/**
 * `fieldLines`: the head's end-to-end field lines as received, latin1-decoded (each ending with CRLF); `headers`:
 * the head parsed (lowercase names); `listed`: the names its Connection lists (connectionListedNames, which the
 * caller needs too: a listed Content-Length or Date is not relayed, so it must not frame or date the answer either).
 * Returns the lines to relay, in their order: `fieldLines` itself when none goes.
 */
export function relayedFieldLines(
  fieldLines: string,
  headers: Readonly<HeaderMap>,
  listed: Set<string> | undefined,
  replaced?: Readonly<Record<string, string>>,
): string {
  if (listed === undefined && replaced === undefined) return fieldLines; // the proxy's common case
  let dropSome = false;
  // The parsed names tell whether any line goes without reading the lines again.
  for (const name in headers) {
    if (!isHopByHop(name) && isDropped(name, listed, replaced)) {
      dropSome = true;
      break;
    }
  }
  if (!dropSome) return fieldLines;
  let kept = '';
  let keptFrom = 0; // where the run of kept lines not yet appended to `kept` starts
  let start = 0;
  const end = fieldLines.length;
  while (start < end) {
    const lf = fieldLines.indexOf('\n', start);
    const next = lf === -1 ? end : lf + 1;
    const colon = fieldLines.indexOf(':', start);
    const name = fieldLines.slice(start, colon === -1 || colon > next ? next : colon).toLowerCase();
    if (isDropped(name, listed, replaced)) {
      kept += fieldLines.slice(keptFrom, start);
      keptFrom = next;
    }
    start = next;
  }
  return kept + fieldLines.slice(keptFrom);
}

/** A line of this name is not relayed (a hop-by-hop one too, should one be given). */
function isDropped(
  lowercaseName: string,
  listed: Set<string> | undefined,
  replaced: Readonly<Record<string, string>> | undefined,
): boolean {
  return (
    isHopByHop(lowercaseName) ||
    listed?.has(lowercaseName) === true ||
    (replaced !== undefined && Object.hasOwn(replaced, lowercaseName))
  );
}
