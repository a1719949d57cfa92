/**
 * Bare literals: what an unquoted value after an operator or inside `{…}` is. Integers are decimal, hex (`0x1F`)
 * or octal with a leading 0 (`017` is 15, wirefilter's rule); `8000..8009` is an inclusive integer range;
 * addresses are IPv4/IPv6, `a/len` a CIDR (host bits must be zero), `a..b` an address range. Classification
 * does not depend on the field: the type checker decides whether the kind fits.
 */
import { addressBits, formatIp, parseIpLiteral, type IpAddress } from './ip-address.ts';

export type BareLiteral =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'int_range'; readonly from: number; readonly to: number }
  | { readonly kind: 'ip'; readonly address: IpAddress }
  | { readonly kind: 'ip_range'; readonly from: IpAddress; readonly to: IpAddress }
  | { readonly kind: 'cidr'; readonly address: IpAddress; readonly prefix: number }
  /** Not a literal; `problem` says why when the text was recognisably meant as one. */
  | { readonly kind: 'invalid'; readonly problem: string | undefined };

const LOOKS_INTEGER = /^-?[0-9][0-9A-Za-z]*$/;
const INTEGER = /^-?(?:0[xX][0-9A-Fa-f]+|0[0-7]*|[1-9][0-9]*)$/;
const BAD_OCTAL = /^-?0[0-9]+$/;
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;
const MAX_INTEGER = BigInt(Number.MAX_SAFE_INTEGER);

/** A number, a problem (string), or undefined when `text` is not meant as an integer at all. */
function parseInteger(text: string): number | string | undefined {
  if (!LOOKS_INTEGER.test(text)) return undefined;
  if (BAD_OCTAL.test(text) && /[89]/.test(text)) {
    return `invalid integer "${text}": a leading 0 means octal (digits 0-7)`;
  }
  if (!INTEGER.test(text)) return undefined;
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const magnitude = /^0[xX]/.test(body)
    ? BigInt(body.toLowerCase())
    : body.length > 1 && body.startsWith('0')
      ? BigInt(`0o${body.slice(1)}`)
      : BigInt(body);
  if (magnitude > MAX_INTEGER) return `integer ${text} is out of range (at most ±${Number.MAX_SAFE_INTEGER})`;
  const value = Number(magnitude);
  return negative ? -value : value;
}

function classifyRange(text: string, split: number): BareLiteral {
  const left = text.slice(0, split);
  const right = text.slice(split + 2);
  const from = parseInteger(left);
  const to = parseInteger(right);
  if (typeof from === 'string') return { kind: 'invalid', problem: from };
  if (typeof to === 'string') return { kind: 'invalid', problem: to };
  if (typeof from === 'number' && typeof to === 'number') {
    if (from > to) return { kind: 'invalid', problem: `range ${text} is reversed: ${left} is greater than ${right}` };
    return { kind: 'int_range', from, to };
  }
  const fromIp = parseIpLiteral(left);
  const toIp = parseIpLiteral(right);
  if (fromIp === undefined || toIp === undefined) return { kind: 'invalid', problem: undefined };
  if (fromIp.version !== toIp.version) {
    return { kind: 'invalid', problem: `range ${text} mixes IPv4 and IPv6` };
  }
  if (fromIp.value > toIp.value) {
    return { kind: 'invalid', problem: `range ${text} is reversed: ${left} is greater than ${right}` };
  }
  return { kind: 'ip_range', from: fromIp, to: toIp };
}

function classifyCidr(text: string, slash: number): BareLiteral {
  const address = parseIpLiteral(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined) return { kind: 'invalid', problem: undefined };
  const bits = addressBits(address.version);
  if (!PREFIX.test(prefixText) || Number(prefixText) > bits) {
    return {
      kind: 'invalid',
      problem: `invalid prefix length "/${prefixText}" for an IPv${address.version} CIDR (0-${bits})`,
    };
  }
  const prefix = Number(prefixText);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((address.value & hostMask) !== 0n) {
    const network = formatIp({ version: address.version, value: address.value & ~hostMask });
    return { kind: 'invalid', problem: `CIDR ${text} has host bits set: did you mean ${network}/${prefix}?` };
  }
  return { kind: 'cidr', address, prefix };
}

export function classifyBareLiteral(text: string): BareLiteral {
  const split = text.indexOf('..');
  if (split >= 0) return classifyRange(text, split);
  const slash = text.indexOf('/');
  if (slash >= 0) return classifyCidr(text, slash);
  const integer = parseInteger(text);
  if (typeof integer === 'number') return { kind: 'int', value: integer };
  if (typeof integer === 'string') return { kind: 'invalid', problem: integer };
  const address = parseIpLiteral(text);
  if (address !== undefined) return { kind: 'ip', address };
  return { kind: 'invalid', problem: undefined };
}

/** Lowest and highest address of a CIDR. */
export function cidrBounds(address: IpAddress, prefix: number): { from: bigint; to: bigint } {
  const hostMask = (1n << BigInt(addressBits(address.version) - prefix)) - 1n;
  return { from: address.value & ~hostMask, to: address.value | hostMask };
}
