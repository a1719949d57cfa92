/**
 * The openssl CLI as a test tool: keys and CSRs made at test time in a temp dir, CAs with exactly
 * the flaws a test needs (SHA-1, RSA-1024, no keyCertSign), and the real `openssl x509 / verify /
 * crl / ocsp` as independent judges of what the server produced.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type KeySpec = 'p256' | 'p384' | 'p521' | 'rsa1024' | 'rsa2048' | 'ed25519';

const NEW_KEY: Record<KeySpec, string[]> = {
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  rsa1024: ['-newkey', 'rsa:1024'],
  rsa2048: ['-newkey', 'rsa:2048'],
  ed25519: ['-newkey', 'ed25519'],
};

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** node:test options that skip a test or suite where the openssl CLI is not installed. */
export const needsOpenssl = { skip: opensslInstalled() ? false : 'openssl not installed' };

function opensslInstalled(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface CaOptions {
  key?: KeySpec;
  subject?: string;
  digest?: 'sha1' | 'sha256';
  keyUsage?: string;
  days?: number;
}

/** A temp dir in which openssl runs; `remove()` deletes it. */
export class OpensslWorkdir {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'portcullis-openssl-'));
  #count = 0;

  /** Writes a file and returns its path. */
  write(name: string, content: string | Uint8Array): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, content);
    return file;
  }

  read(name: string): string {
    return readFileSync(path.join(this.dir, name), 'utf8');
  }

  readBytes(name: string): Buffer {
    return readFileSync(path.join(this.dir, name));
  }

  /** Runs openssl; throws with stderr when it fails. */
  run(args: string[]): string {
    return execFileSync('openssl', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs openssl and reports how it ended (for commands expected to fail). */
  tryRun(args: string[]): RunResult {
    const result = spawnSync('openssl', args, { cwd: this.dir, encoding: 'utf8', timeout: 30_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs openssl: [exited with 0, stdout + stderr] (verify, crl and ocsp report on stderr). */
  check(args: string[]): [ok: boolean, output: string] {
    const { status, stdout, stderr } = this.tryRun(args);
    return [status === 0, stdout + stderr];
  }

  /**
   * Runs openssl without blocking the event loop: needed whenever openssl talks to a server that
   * runs in this same process (a synchronous child would starve it).
   */
  runAsync(args: string[]): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile('openssl', args, { cwd: this.dir, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      });
    });
  }

  /**
   * `openssl s_client` against a server of this process (asynchronous), with stdin at EOF so it
   * ends after the handshake; stdout. It shows what Node's TLS client cannot: whether the server
   * sent a CertificateRequest ("Acceptable client certificate CA names" and the CA names, or
   * "No client certificate CA names sent").
   */
  sClient(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('openssl', ['s_client', ...args], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const timer = setTimeout(() => child.kill(), 30_000);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(stdout);
      });
    });
  }

  /** A new key and a CSR for it. `subject` in openssl's `/C=GB/O=Acme/CN=x` form. */
  csr(key: KeySpec, subject: string): { csrPem: string; keyPem: string } {
    const name = this.#next('csr');
    return { csrPem: this.newCsr(name, NEW_KEY[key], subject), keyPem: this.read(`${name}.key`) };
  }

  /**
   * `openssl req -new` with a key made by `newKey` (the `-newkey` arguments) into `<name>.key` and `<name>.csr`,
   * `extra` arguments appended (`-addext`, `-sha1`, `-sigopt`...); returns the CSR PEM.
   */
  newCsr(name: string, newKey: string[], subject: string, ...extra: string[]): string {
    this.run([
      'req',
      '-new',
      ...newKey,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
      ...extra,
    ]);
    return this.read(`${name}.csr`);
  }

  /** A self-signed CA (critical basicConstraints CA:TRUE, SKI) with the flaws asked for. */
  selfSignedCa(options: CaOptions = {}): { certPem: string; keyPem: string } {
    const name = this.#next('ca');
    const config = this.write(
      `${name}.cnf`,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        '[dn]',
        'CN = unused',
        '[ext]',
        'basicConstraints = critical,CA:TRUE',
        `keyUsage = critical,${options.keyUsage ?? 'keyCertSign,cRLSign'}`,
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    this.run([
      'req',
      '-x509',
      '-config',
      config,
      '-extensions',
      'ext',
      ...NEW_KEY[options.key ?? 'p256'],
      '-nodes',
      `-${options.digest ?? 'sha256'}`,
      '-days',
      String(options.days ?? 365),
      '-subj',
      options.subject ?? `/O=Portcullis Tests/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    ]);
    return { certPem: this.read(`${name}.pem`), keyPem: this.read(`${name}.key`) };
  }

  /** `openssl x509 -serial`, as lowercase hex. */
  serialOf(certPem: string): string {
    const out = this.run(['x509', '-noout', '-serial', '-in', this.write(`${this.#next('x')}.pem`, certPem)]);
    return out
      .trim()
      .replace(/^serial=/, '')
      .toLowerCase();
  }

  /** `openssl x509 -fingerprint -sha256`, lowercase hex without colons. */
  fingerprintOf(certPem: string): string {
    const out = this.run([
      'x509',
      '-noout',
      '-fingerprint',
      '-sha256',
      '-in',
      this.write(`${this.#next('x')}.pem`, certPem),
    ]);
    return out
      .trim()
      .replace(/^.*Fingerprint=/i, '')
      .replaceAll(':', '')
      .toLowerCase();
  }

  /** `openssl x509 -text`. */
  textOf(certPem: string): string {
    return this.run(['x509', '-noout', '-text', '-in', this.write(`${this.#next('x')}.pem`, certPem)]);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #next(prefix: string): string {
    return `${prefix}-${++this.#count}`;
  }
}

/** Base64 of a PEM block's body on one line (to look for it in a response). */
export function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'))
    .join('');
}
