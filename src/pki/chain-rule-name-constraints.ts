/**
 * Name constraint rules over a whole client path (RFC 5280 §4.2.1.10, §6.1.3 (b)–(c), §6.1.4 (g)–(h)).
 *
 * - `name-constraints-empty`: a nameConstraints extension with no subtree at all (both lists absent or empty),
 *   which constrains nothing while claiming to.
 * - `name-constraints-malformed`: one that does not parse, has an empty list beside a non-empty one (SIZE
 *   (1..MAX)), a minimum or maximum (§4.2.1.10: minimum MUST be zero, maximum MUST be absent), or a dNSName,
 *   rfc822Name, URI or iPAddress base that is not a well-formed name of its form (a wildcard DNS base, a mailbox
 *   with two `@`, an address without its mask): such a constraint cannot be enforced as its CA meant.
 * - `name-constraints-violated`: a name of a certificate below the constraining CA lies outside its permitted
 *   subtrees or inside an excluded one, is malformed while its form is constrained, or has a form the gateway
 *   does not process (otherName, x400Address, ediPartyName, registeredID, and an SmtpUTF8Mailbox under rfc822Name
 *   constraints, RFC 8398 §6) while the CA constrains that form: §4.2.1.10 says "the application MUST either
 *   process the constraint or reject the certificate".
 *
 * Constraints of every CA of the path apply, the trust anchor's included, to every certificate below it, except
 * self-issued intermediates (§4.2.1.10: "not applied to self-issued certificates (unless the certificate is the
 * final certificate in the path)"). The names checked are the subjectAltName entries; the subject's
 * emailAddress attributes when there is no subjectAltName (§4.2.1.10); and, for the leaf only and when it has no
 * dNSName, a common name that reads as a multi-label host name, as OpenSSL checks it. directoryName constraints
 * are left to OpenSSL, which enforces them during the handshake.
 */
import { AttributeValue, id_ce_nameConstraints, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { extensionOf, valueOf, type ChainCertificate } from './chain-certificate.ts';
import { violation, type ChainViolation } from './chain-violation.ts';
import {
  SMTP_UTF8_MAILBOX,
  formOf,
  readGeneralNames,
  readNameConstraints,
  type NameForm,
  type RawGeneralName,
  type RawGeneralSubtree,
  type RawGeneralSubtrees,
} from './general-names.ts';
import {
  dnsIntersects,
  dnsWithin,
  emailWithin,
  ipWithin,
  isDnsConstraint,
  isDnsName,
  isEmailConstraint,
  isIpConstraint,
  isMailbox,
  isUriConstraint,
  uriHost,
  uriWithin,
} from './name-constraint-match.ts';

const EMAIL_ADDRESS = '1.2.840.113549.1.9.1';
const COMMON_NAME = '2.5.4.3';
/** Forms whose constraints this module does not process: names of these forms under them are refused. */
const UNPROCESSED_FORMS: readonly NameForm[] = ['otherName', 'x400Address', 'ediPartyName', 'registeredID'];
/** How long a name may be in a log line. */
const MAX_SHOWN = 80;

interface Constraints {
  readonly permitted: readonly RawGeneralName[];
  readonly excluded: readonly RawGeneralName[];
}

/** `labelOf(i)` names position `i` of the path (0 = the leaf) in messages. */
export function nameConstraintsViolation(
  path: readonly ChainCertificate[],
  labelOf: (index: number) => string,
): ChainViolation | undefined {
  for (let k = path.length - 1; k >= 1; k--) {
    const ca = path[k];
    const extension = ca === undefined ? undefined : extensionOf(ca, id_ce_nameConstraints);
    if (extension === undefined) continue;
    const read = readConstraints(valueOf(extension));
    if ('rule' in read) return violation(read.rule, `${labelOf(k)}: ${read.detail}`);
    for (let j = k - 1; j >= 0; j--) {
      const subject = path[j];
      if (subject === undefined || (j > 0 && subject.selfIssued)) continue;
      const problem = namesProblem(subject, j === 0, read);
      if (problem !== undefined) {
        return violation('name-constraints-violated', `${labelOf(j)}: ${problem} of ${labelOf(k)}`);
      }
    }
  }
  return undefined;
}

/** The constraints of one CA, or why they are unusable. */
export function readConstraints(value: ArrayBuffer): Constraints | ChainViolation {
  let permittedSubtrees: RawGeneralSubtrees | undefined;
  let excludedSubtrees: RawGeneralSubtrees | undefined;
  try {
    ({ permittedSubtrees, excludedSubtrees } = readNameConstraints(value));
  } catch {
    return violation('name-constraints-malformed', 'nameConstraints does not parse');
  }
  const permittedCount = permittedSubtrees?.length ?? 0;
  const excludedCount = excludedSubtrees?.length ?? 0;
  if (permittedCount + excludedCount === 0) {
    return violation('name-constraints-empty', 'nameConstraints with neither permitted nor excluded subtrees');
  }
  if (permittedSubtrees?.length === 0 || excludedSubtrees?.length === 0) {
    return violation('name-constraints-malformed', 'nameConstraints with an empty list of subtrees');
  }
  const permitted = entriesOf(permittedSubtrees);
  const excluded = entriesOf(excludedSubtrees);
  const subtrees = [...permitted, ...excluded];
  if (subtrees.some((subtree) => subtree.minimum !== 0 || subtree.maximum !== undefined)) {
    return violation('name-constraints-malformed', 'nameConstraints with a minimum or maximum (RFC 5280 §4.2.1.10)');
  }
  const bad = subtrees.map((subtree) => subtree.base).find((base) => !isWellFormedBase(base));
  if (bad !== undefined) {
    return violation('name-constraints-malformed', `a malformed ${formOf(bad) ?? 'unknown'} name constraint`);
  }
  return {
    permitted: permitted.map((subtree) => subtree.base),
    excluded: excluded.map((subtree) => subtree.base),
  };
}

function entriesOf(subtrees: RawGeneralSubtrees | undefined): RawGeneralSubtree[] {
  return subtrees === undefined ? [] : [...subtrees];
}

function isWellFormedBase(base: RawGeneralName): boolean {
  if (base.dNSName !== undefined) return isDnsConstraint(base.dNSName);
  if (base.rfc822Name !== undefined) return isEmailConstraint(base.rfc822Name);
  if (base.uniformResourceIdentifier !== undefined) return isUriConstraint(base.uniformResourceIdentifier);
  if (base.iPAddress !== undefined) return isIpConstraint(new Uint8Array(base.iPAddress));
  return formOf(base) !== undefined;
}

/** What is wrong with the names of one certificate under one CA's constraints, or undefined. */
function namesProblem(certificate: ChainCertificate, isLeaf: boolean, constraints: Constraints): string | undefined {
  const names = namesOf(certificate, isLeaf);
  const of = (form: NameForm) => ({
    permitted: constraints.permitted.filter((base) => formOf(base) === form),
    excluded: constraints.excluded.filter((base) => formOf(base) === form),
  });
  const dns = of('dNSName');
  for (const { value, source } of names.dns) {
    const problem = check(value, source, dns, isDnsName, (base) => base.dNSName ?? '', dnsWithin, dnsIntersects);
    if (problem !== undefined) return problem;
  }
  const email = of('rfc822Name');
  for (const { value, source } of names.emails) {
    const problem = check(value, source, email, isMailbox, (base) => base.rfc822Name ?? '', emailWithin, emailWithin);
    if (problem !== undefined) return problem;
  }
  if (names.smtpUtf8 && email.permitted.length + email.excluded.length > 0) {
    return 'an SmtpUTF8Mailbox name cannot be checked against the rfc822Name constraints';
  }
  const uri = of('uniformResourceIdentifier');
  for (const value of names.uris) {
    if (uri.permitted.length + uri.excluded.length === 0) break;
    const host = uriHost(value);
    if (host === undefined) return `URI "${shown(value)}" has no host name for the URI constraints`;
    const base = (name: RawGeneralName): string => name.uniformResourceIdentifier ?? '';
    if (uri.permitted.length > 0 && !uri.permitted.some((name) => uriWithin(host, base(name)))) {
      return `URI "${shown(value)}" is not within the permitted subtrees`;
    }
    if (uri.excluded.some((name) => uriWithin(host, base(name)))) {
      return `URI "${shown(value)}" is within the excluded subtrees`;
    }
  }
  const ip = of('iPAddress');
  for (const address of names.ips) {
    if (ip.permitted.length + ip.excluded.length === 0) break;
    const bytes = (name: RawGeneralName): Uint8Array => new Uint8Array(name.iPAddress ?? new ArrayBuffer(0));
    if (address.length !== 4 && address.length !== 16) return 'a malformed iPAddress under iPAddress constraints';
    if (ip.permitted.length > 0 && !ip.permitted.some((name) => ipWithin(address, bytes(name)))) {
      return 'an iPAddress is not within the permitted subtrees';
    }
    if (ip.excluded.some((name) => ipWithin(address, bytes(name)))) {
      return 'an iPAddress is within the excluded subtrees';
    }
  }
  for (const form of UNPROCESSED_FORMS) {
    const constrained = of(form);
    if (names.forms.has(form) && constrained.permitted.length + constrained.excluded.length > 0) {
      return `constraints on ${form} names are not processed, and a ${form} name is present`;
    }
  }
  return undefined;
}

interface Subtrees {
  readonly permitted: readonly RawGeneralName[];
  readonly excluded: readonly RawGeneralName[];
}

function check(
  value: string,
  source: string,
  subtrees: Subtrees,
  wellFormed: (value: string) => boolean,
  baseOf: (name: RawGeneralName) => string,
  within: (value: string, base: string) => boolean,
  intersects: (value: string, base: string) => boolean,
): string | undefined {
  if (subtrees.permitted.length + subtrees.excluded.length === 0) return undefined;
  const label = `${source} "${shown(value)}"`;
  if (!wellFormed(value)) return `${label} is malformed under constraints of its form`;
  if (subtrees.permitted.length > 0 && !subtrees.permitted.some((name) => within(value, baseOf(name)))) {
    return `${label} is not within the permitted subtrees`;
  }
  if (subtrees.excluded.some((name) => intersects(value, baseOf(name)))) {
    return `${label} is within the excluded subtrees`;
  }
  return undefined;
}

interface Names {
  readonly dns: { readonly value: string; readonly source: string }[];
  readonly emails: { readonly value: string; readonly source: string }[];
  readonly uris: string[];
  readonly ips: Uint8Array[];
  readonly smtpUtf8: boolean;
  readonly forms: Set<NameForm>;
}

function namesOf(certificate: ChainCertificate, isLeaf: boolean): Names {
  const dns: Names['dns'] = [];
  const emails: Names['emails'] = [];
  const uris: string[] = [];
  const ips: Uint8Array[] = [];
  const forms = new Set<NameForm>();
  let smtpUtf8 = false;
  const san = extensionOf(certificate, id_ce_subjectAltName);
  for (const name of san === undefined ? [] : readGeneralNames(valueOf(san))) {
    if (name.otherName?.typeId === SMTP_UTF8_MAILBOX) {
      smtpUtf8 = true;
      continue;
    }
    const form = formOf(name);
    if (form !== undefined) forms.add(form);
    if (name.dNSName !== undefined) dns.push({ value: name.dNSName, source: 'dNSName' });
    else if (name.rfc822Name !== undefined) emails.push({ value: name.rfc822Name, source: 'rfc822Name' });
    else if (name.uniformResourceIdentifier !== undefined) uris.push(name.uniformResourceIdentifier);
    else if (name.iPAddress !== undefined) ips.push(new Uint8Array(name.iPAddress));
  }
  const subject = attributesOf(certificate);
  if (san === undefined) {
    for (const value of subject.get(EMAIL_ADDRESS) ?? []) emails.push({ value, source: 'subject emailAddress' });
  }
  if (isLeaf && dns.length === 0) {
    for (const value of subject.get(COMMON_NAME) ?? []) {
      if (value.includes('.') && isDnsName(value)) dns.push({ value, source: 'subject CN' });
    }
  }
  return { dns, emails, uris, ips, smtpUtf8, forms };
}

function attributesOf(certificate: ChainCertificate): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const rdn of certificate.asn.tbsCertificate.subject) {
    for (const attribute of rdn) {
      if (attribute.type !== EMAIL_ADDRESS && attribute.type !== COMMON_NAME) continue;
      values.set(attribute.type, [...(values.get(attribute.type) ?? []), textOf(attribute.value)]);
    }
  }
  return values;
}

function textOf(value: AttributeValue): string {
  return value.ia5String ?? value.utf8String ?? value.printableString ?? value.bmpString ?? value.teletexString ?? '';
}

function shown(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_SHOWN ? `${printable.slice(0, MAX_SHOWN - 3)}...` : printable;
}
