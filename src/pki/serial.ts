/** Canonical serial text: uppercase hex, no colons, no leading zeros (RFC 5280 §4.1.2.2 serials are integers). */
export function normaliseSerial(hex: string): string {
  const plain = hex.replaceAll(':', '').toUpperCase();
  let start = 0;
  while (start < plain.length - 1 && plain.charCodeAt(start) === 0x30) start++;
  return plain.slice(start);
}
