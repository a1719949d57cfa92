/**
 * The edge certificates of the hostnames that exist in a wrk target's configuration but get no
 * traffic (serve-1000-hosts-target.sh): one P-256 certificate per hostname, each with its own key,
 * issued by a throwaway CA made here. The harness's server CA is not used, so the same code serves
 * both of its PKIs (ECDSA and RSA); these hosts are never handshaken with. openssl would take about
 * 40 ms a certificate on a busy 2-core machine (40 s for 999 before the gateway even starts), this
 * takes a few milliseconds each.
 *
 *   node --import tsx other-host-certificates.ts OUT_DIR HOSTNAME...
 *
 * Writes OUT_DIR/<hostname>.pem (the leaf, then the CA) and OUT_DIR/<hostname>.key.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, DAY, Eku } from '../../test/helpers/pki.ts';

const [outDir, ...hostnames] = process.argv.slice(2);
if (outDir === undefined || hostnames.length === 0) {
  process.stderr.write('usage: other-host-certificates.ts OUT_DIR HOSTNAME...\n');
  process.exit(2);
}
// Past serve's expiry window (30 days by default), so the gateway logs no expiry warning for them.
const notAfter = new Date(Date.now() + 400 * DAY);
const ca = await createCa('CN=Portcullis wrk other-hosts CA,O=Portcullis Bench');
for (const hostname of hostnames) {
  const leaf = await ca.issue({ subject: `CN=${hostname}`, dns: [hostname], eku: [Eku.serverAuth], notAfter });
  writeFileSync(join(outDir, `${hostname}.pem`), leaf.certPem + ca.certPem);
  writeFileSync(join(outDir, `${hostname}.key`), leaf.keyPem, { mode: 0o600 });
}
