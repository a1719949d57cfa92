/**
 * `portcullis cert inspect <pem-file | serial | id> [--zone ID]`: what a client certificate says (subject,
 * SANs, issuer, serial, SHA-256 and SHA-1 fingerprints, validity) and its status: out of date or not, read here
 * from the certificate; and with `--zone`, what the gateway knows of it (active, revoked…), found by fingerprint.
 * A serial or a certificate id needs `--zone`: the certificate is then fetched from the API. Only certificates
 * are read: a private key given by mistake is refused before anything is sent.
 */
import { X509Certificate } from 'node:crypto';
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment, type AdminClient } from '../../admin-client/admin-client.ts';
import {
  AdminCommandError,
  runAdminCommand,
  withAdminCommandOptions,
  type AdminCommandOptions,
} from '../admin-command.ts';
import { formatDetails, printResult } from '../output.ts';
import { readPemInput } from '../pem-input.ts';
import { serialToWire } from '../../pki/serial.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SERIAL = /^(?:[0-9a-f]{2}:?)+$/i;

interface GatewayRecord {
  id: string;
  certificate: string;
  status: string;
  serial_number: string;
  fingerprint_sha256: string;
}

export interface CertificateInspection {
  subject: string;
  subject_alt_names: string[];
  issuer: string;
  serial_number: string;
  fingerprint_sha256: string;
  fingerprint_sha1: string;
  not_before: string;
  not_after: string;
  /** From the dates, now: valid, expired or not_yet_valid. */
  validity: 'valid' | 'expired' | 'not_yet_valid';
  /** The gateway's record (with --zone): its id and status; null when the zone has no such certificate. */
  gateway: { id: string; status: string } | null | undefined;
}

export function registerCertInspectCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const cert = program.commands.find((command) => command.name() === 'cert');
  if (cert === undefined) throw new Error('the cert command must be registered first');
  withAdminCommandOptions(
    cert
      .command('inspect')
      .description("show a certificate's subject, SANs, fingerprints, validity and status")
      .argument('<certificate>', 'a PEM file, or with --zone a serial (hex) or a client certificate id')
      .option('--zone <id>', "also ask the gateway for the certificate's status in this zone"),
  ).action((target: string, options: AdminCommandOptions & { zone?: string }) => {
    setResult(runAdminCommand(() => inspect(target, options)));
  });
}

async function inspect(target: string, options: AdminCommandOptions & { zone?: string }): Promise<void> {
  const isFile = await exists(target);
  if (!isFile && options.zone === undefined) {
    throw GW_ERR_USAGE.create(`${target} is not a file; a serial or a certificate id needs --zone`);
  }
  let pem: string;
  let record: GatewayRecord | undefined;
  let client: AdminClient | undefined;
  if (isFile) {
    pem = await readPemInput(target, '<certificate>', 'CERTIFICATE');
  } else {
    client = await connect(options);
    record = await findRecord(client, options.zone ?? '', target);
    pem = record.certificate;
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw GW_ERR_USAGE.create(`${target}: the certificate cannot be read`);
  }
  const fingerprint = certificate.fingerprint256.replaceAll(':', '').toLowerCase();
  if (record === undefined && options.zone !== undefined) {
    client ??= await connect(options);
    record = await findByFingerprint(client, options.zone, fingerprint);
  }
  const inspection = describeCertificate(certificate, new Date());
  const result: CertificateInspection = {
    ...inspection,
    gateway:
      options.zone === undefined ? undefined : record === undefined ? null : { id: record.id, status: record.status },
  };
  printResult(options, result, () => formatInspection(result));
}

async function findRecord(client: AdminClient, zoneId: string, target: string): Promise<GatewayRecord> {
  if (UUID.test(target)) {
    return client.get<GatewayRecord>(`/zones/${segment(zoneId)}/client_certificates/${segment(target)}`);
  }
  if (!SERIAL.test(target)) {
    throw GW_ERR_USAGE.create(`${target} is neither a file, a serial (hex) nor a client certificate id`);
  }
  const serial = serialToWire(target);
  const found = await client.get<GatewayRecord[]>(`/zones/${segment(zoneId)}/client_certificates`, {
    search: serial,
    per_page: 50,
  });
  const match = found.find((record) => serialToWire(record.serial_number) === serial);
  if (match === undefined) throw new AdminCommandError(`no client certificate with serial ${serial} in zone ${zoneId}`);
  return match;
}

async function findByFingerprint(
  client: AdminClient,
  zoneId: string,
  fingerprint: string,
): Promise<GatewayRecord | undefined> {
  const found = await client.get<GatewayRecord[]>(`/zones/${segment(zoneId)}/client_certificates`, {
    search: fingerprint,
    per_page: 50,
  });
  return found.find((record) => record.fingerprint_sha256.toLowerCase() === fingerprint);
}

/** The fields of a certificate and its validity at `now` (pure). */
export function describeCertificate(certificate: X509Certificate, now: Date): Omit<CertificateInspection, 'gateway'> {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  return {
    subject: certificate.subject.split('\n').join(', '),
    subject_alt_names: (certificate.subjectAltName ?? '').split(', ').filter((name) => name !== ''),
    issuer: certificate.issuer.split('\n').join(', '),
    serial_number: serialToWire(certificate.serialNumber),
    fingerprint_sha256: certificate.fingerprint256.replaceAll(':', '').toLowerCase(),
    fingerprint_sha1: certificate.fingerprint.replaceAll(':', '').toLowerCase(),
    not_before: notBefore.toISOString(),
    not_after: notAfter.toISOString(),
    validity: now >= notAfter ? 'expired' : now < notBefore ? 'not_yet_valid' : 'valid',
  };
}

function formatInspection(result: CertificateInspection): string {
  const gateway =
    result.gateway === undefined
      ? []
      : [
          [
            'Gateway',
            result.gateway === null
              ? 'not a client certificate of this zone'
              : `${result.gateway.status} (id ${result.gateway.id})`,
          ] as const,
        ];
  return formatDetails([
    ['Subject', result.subject],
    ['SANs', result.subject_alt_names.length === 0 ? 'none' : result.subject_alt_names.join(', ')],
    ['Issuer', result.issuer],
    ['Serial', result.serial_number],
    ['SHA-256', result.fingerprint_sha256],
    ['SHA-1', result.fingerprint_sha1],
    ['Not before', result.not_before],
    ['Not after', result.not_after],
    ['Validity', result.validity.replaceAll('_', ' ')],
    ...gateway,
  ]);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
