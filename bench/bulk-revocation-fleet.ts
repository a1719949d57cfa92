/**
 * The bulk-revocation bench's device fleet, made without the API: certificates signed in this process with
 * the account's managed CA key (read from the store's `managed_cas` row and opened with the master key the
 * gateways share), and their `client_certificates`, `client_certificate_states` and `client_certificate_tags` rows
 * inserted straight into PostgreSQL, 1,000 a statement. Issuing 10,000 certificates through the API takes about 20 minutes (each is
 * a transaction, a quota count and a publish check); this takes seconds, and the rows are the ones the API
 * would write.
 *
 * One certificate is made by the issuer the API uses (src/pki/client-certificate-issuer.ts); the others are
 * copies of its to-be-signed DER with a fresh random serial of the same length (16 octets, RFC 5280
 * §4.1.2.2, as randomSerial makes them) written in place, signed again with the CA key (ECDSA, RFC 5480):
 * the issuer parses and checks the CA and verifies each result, about 10 ms a certificate, which is what
 * took the time. Every certificate shares one device key: what is measured is revocation by certificate,
 * not key work. They name no CRL or OCSP URL (the API's name the gateway's public URL, which nothing here
 * fetches).
 */
import { createHash, createPrivateKey, sign, X509Certificate } from 'node:crypto';
import pg from 'pg';
import { childRanges, contentsOf, tlv } from '../src/pki/der-writer.ts';
import { randomSerial } from '../src/pki/certificate-issuer.ts';
import { toPem } from '../src/pki/pem.ts';
import { readCsr } from '../src/pki/csr.ts';
import { issueClientCertificate } from '../src/pki/client-certificate-issuer.ts';
import { SecretBox } from '../src/store/secret-box.ts';
import { isoSeconds, newUuid } from '../src/control/ids.ts';

export interface FleetDevice {
  readonly id: string;
  readonly certPem: string;
}

export interface FleetOptions {
  /** The store's URL (with its search_path), as the gateways get it. */
  readonly storeUrl: string;
  readonly accountId: string;
  readonly zoneId: string;
  /** PORTCULLIS_MASTER_KEY of the gateways, 64 hex characters. */
  readonly masterKeyHex: string;
  /** The shared device key's CSR (PEM). */
  readonly csrPem: string;
  readonly count: number;
  readonly tag: string;
  readonly validityDays: number;
}

const ROWS_PER_INSERT = 1_000;

/** INSERT … VALUES (…), (…) for `rows` (objects with the same keys), in one statement. */
async function insertRows(client: pg.Client, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const places = columns.map((column) => {
      values.push(row[column]);
      return `$${values.length}`;
    });
    return `(${places.join(', ')})`;
  });
  await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
}

interface Issued {
  readonly certPem: string;
  readonly serialHex: string;
  readonly fingerprintSha256: string;
}

/** Certificates like `template` (issued by `ca`) with fresh serials: one in-place copy and one signature each. */
function sameProfileIssuer(template: { der: Uint8Array; serialHex: string }, caKeyPem: string, caPem: string) {
  const [tbsRange, algorithmRange] = childRanges(contentsOf(template.der));
  const contents = contentsOf(template.der);
  const tbs = Buffer.from(contents.subarray(...(tbsRange as [number, number])));
  const algorithm = Buffer.from(contents.subarray(...(algorithmRange as [number, number])));
  const serialAt = tbs.indexOf(Buffer.from(template.serialHex, 'hex'));
  if (serialAt < 0 || template.serialHex.length !== 32) throw new Error('the template serial is not 16 octets');
  const key = createPrivateKey(caKeyPem);
  const caPublicKey = new X509Certificate(caPem).publicKey;
  let checked = false;
  return (): Issued => {
    const serialHex = randomSerial();
    Buffer.from(serialHex, 'hex').copy(tbs, serialAt);
    // BIT STRING: no unused bits, then the DER ECDSA-Sig-Value (RFC 5480 §2.2 / RFC 3279 §2.2.3).
    const signature = tlv(0x03, Buffer.concat([Buffer.from([0]), sign('sha256', tbs, key)]));
    const der = tlv(0x30, Buffer.concat([tbs, algorithm, signature]));
    if (!checked) {
      // Once: the copy is a certificate of that serial that the CA's key verifies.
      const parsed = new X509Certificate(der);
      if (!parsed.verify(caPublicKey) || parsed.serialNumber.toLowerCase() !== serialHex) {
        throw new Error('a re-signed certificate does not verify');
      }
      checked = true;
    }
    return {
      certPem: toPem(der, 'CERTIFICATE'),
      serialHex,
      fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    };
  };
}

/** Issues `count` certificates from the zone's account's managed CA (which must exist), tagged `tag`. */
export async function insertFleet(options: FleetOptions): Promise<FleetDevice[]> {
  // pg reads the URL's `options=-c search_path=…` as the gateways' driver does.
  const client = new pg.Client({ connectionString: options.storeUrl });
  await client.connect();
  try {
    const found = await client.query<{ id: string; certificate_pem: string; sealed_private_key: string }>(
      'SELECT id, certificate_pem, sealed_private_key FROM managed_cas WHERE account_id = $1',
      [options.accountId],
    );
    const ca = found.rows[0];
    if (ca === undefined) throw new Error(`account ${options.accountId} has no managed CA yet`);
    const authority = {
      certPem: ca.certificate_pem,
      keyPem: new SecretBox(Buffer.from(options.masterKeyHex, 'hex')).open(ca.sealed_private_key),
    };
    const csr = readCsr(options.csrPem);
    const template = issueClientCertificate({ ca: authority, csr, validityDays: options.validityDays });
    const issue = sameProfileIssuer(template, authority.keyPem, authority.certPem);
    const devices: FleetDevice[] = [];
    for (let start = 0; start < options.count; start += ROWS_PER_INSERT) {
      const rows: Record<string, unknown>[] = [];
      const states: Record<string, unknown>[] = [];
      const tags: Record<string, unknown>[] = [];
      for (let index = start; index < Math.min(options.count, start + ROWS_PER_INSERT); index += 1) {
        const issued = issue();
        const id = newUuid();
        rows.push({
          id,
          zone_id: options.zoneId,
          account_id: options.accountId,
          ca_id: ca.id,
          certificate_pem: issued.certPem,
          csr: csr.pem,
          common_name: csr.subject.commonName,
          country: csr.subject.country,
          state: csr.subject.state,
          location: csr.subject.locality,
          organization: csr.subject.organization,
          organizational_unit: csr.subject.organizationalUnit,
          serial_number: issued.serialHex,
          fingerprint_sha256: issued.fingerprintSha256,
          ski: template.skiHex,
          signature: template.signature,
          validity_days: options.validityDays,
          issued_on: isoSeconds(template.issuedOn),
          expires_on: isoSeconds(template.expiresOn),
        });
        states.push({
          certificate_id: id,
          zone_id: options.zoneId,
          ca_id: ca.id,
          serial_number: issued.serialHex,
          issued_on: isoSeconds(template.issuedOn),
          expires_on: isoSeconds(template.expiresOn),
          status: 'active',
        });
        tags.push({ client_certificate_id: id, zone_id: options.zoneId, tag: options.tag });
        devices.push({ id, certPem: issued.certPem });
      }
      await client.query('BEGIN');
      await insertRows(client, 'client_certificates', rows);
      await insertRows(client, 'client_certificate_states', states);
      await insertRows(client, 'client_certificate_tags', tags);
      await client.query('COMMIT');
    }
    return devices;
  } finally {
    await client.end();
  }
}
