/**
 * Run by test/serve/public-url-warning.test.ts inside a private network namespace (`unshare -rn`), where
 * `--listen 0.0.0.0` reaches no network but the namespace's own loopback: starts `serve` in-process with that
 * listener and `--public-url` from argv[2] (none when absent), issues one certificate, and prints as JSON the
 * warnings logged and the issue answer's status, messages and certificate.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { generateKeyAndCsr } from '../../src/pki/key-and-csr.ts';
import { createTenant, startAdminServer } from './admin-server.ts';

const publicUrl = process.argv[2];
const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line !== ''),
    );
    callback();
  },
});
const server = await startAdminServer(undefined, undefined, {
  logger: pino({ level: 'warn' }, capture),
  flags: { listen: '0.0.0.0:0', ...(publicUrl === undefined ? {} : { publicUrl }) },
});
try {
  const { zoneId } = await createTenant(server, 'example.com');
  const { csrPem } = await generateKeyAndCsr('device-1');
  const issued = await server.call<{ certificate: string }>('POST', `/zones/${zoneId}/client_certificates`, {
    csr: csrPem,
    validity_days: 30,
  });
  process.stdout.write(
    JSON.stringify({
      warnings: lines.map((line) => JSON.parse(line) as unknown),
      status: issued.status,
      messages: issued.body.messages,
      certificate: issued.body.result.certificate,
    }),
  );
} finally {
  await server.stop();
}
