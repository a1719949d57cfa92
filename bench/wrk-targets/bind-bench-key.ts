/**
 * Makes the key of serve-dynamic-mtls-target.sh through the admin API of a running `serve`: bound
 * to the bench client's certificate, with the configuration file's policy (keys cannot be written
 * in the file: docs/reference/config-file.md, "Keys are not in the file"). One process for the
 * three calls, where the CLI would start three (about 2 s each on a busy 2-core machine, against
 * the harness's 30 s start time-out).
 *
 *   node --import tsx bind-bench-key.ts ADMIN_URL DATA_DIR CLIENT_CERT ACCOUNT POLICY
 *
 * ADMIN_URL is the admin API's origin (http://127.0.0.1:PORT), DATA_DIR the gateway's, for its
 * admin-token file; ACCOUNT and POLICY are names from the configuration file. Prints the key's id.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [adminUrl, dataDir, clientCertFile, accountName, policyName] = process.argv.slice(2);
if (policyName === undefined) {
  process.stderr.write('usage: bind-bench-key.ts ADMIN_URL DATA_DIR CLIENT_CERT ACCOUNT POLICY\n');
  process.exit(2);
}
const token = readFileSync(join(dataDir!, 'admin-token'), 'utf8').trim();

interface Named {
  id: string;
  name: string;
}

/** One admin API call; the v4 envelope's `result`, or the process ends with the API's errors. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${adminUrl}/client/v4${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as { success: boolean; result: T; errors: unknown };
  if (!answer.success) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer.errors)}`);
  return answer.result;
}

function byName(items: Named[], name: string, what: string): string {
  const found = items.find((item) => item.name === name);
  if (found === undefined) throw new Error(`no ${what} named "${name}"`);
  return found.id;
}

const account = byName(await call<Named[]>('GET', '/accounts?per_page=50'), accountName!, 'account');
const policy = byName(await call<Named[]>('GET', `/accounts/${account}/gateway/policies`), policyName, 'policy');
const key = await call<{ id: string }>('POST', `/accounts/${account}/gateway/keys`, {
  alias: 'bench-client',
  certificate: { pem: readFileSync(clientCertFile!, 'utf8') },
  policy_ids: [policy],
});
process.stdout.write(`${key.id}\n`);
