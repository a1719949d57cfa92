/**
 * The `portcullis` command and its two worker-thread modules as single files, bundled with esbuild
 * (docs/adr/0025-bundled-dist.md): loading ~1,070 modules one by one (our ~400, typebox's 373, kysely's 262) was
 * more than half of a gateway's start. Used by `npm run build` (scripts/bundle-dist.ts, from tsc's output) and by
 * the tests (test/helpers/cli.ts, from src/: every `portcullis` a test starts is this bundle).
 *
 * Packages stay external when bundling would change what they do: a native addon, a package that finds its files
 * through __dirname (its own package.json, worker-thread transports), or one that is not installed. The bundle is
 * refused if esbuild warns or if __dirname/__filename is left in it: in an ES module both are undefined, so a
 * bundled package using them would fail at run time, on the code path that reads them.
 */
import { buildSync, type Message } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const EXTERNAL_PACKAGES = [
  'better-sqlite3', // native addon
  'pg-native', // pg's optional native client, not installed
  'pino', // worker-thread transports found by file path
  'thread-stream',
  'ioredis', // reads its package.json through __dirname
  '@fastify/swagger', // same
];

/** Bundled code reaches Node's built-ins (and the external CommonJS packages) through `require`. */
const REQUIRE_SHIM =
  "import { createRequire as portcullisCreateRequire } from 'node:module';\n" +
  'const require = portcullisCreateRequire(import.meta.url);';

/** The module names of a bundle: beside main.js, where workerModule() (src/control/worker-thread.ts) looks. */
export type BundleEntries = Readonly<Record<'main' | 'crl-thread-worker' | 'crl-acceptance-worker', string>>;

/**
 * The entries of a bundle: the command and its two worker-thread modules under `dir`, the checkout's src/ (`.ts`) or
 * tsc's output in dist/ (`.js`).
 */
export function gatewayEntries(dir: string, extension: '.ts' | '.js'): BundleEntries {
  return {
    main: path.join(dir, `main${extension}`),
    'crl-thread-worker': path.join(dir, `control/publish/crl-thread-worker${extension}`),
    'crl-acceptance-worker': path.join(dir, `control/revocation/crl-acceptance-worker${extension}`),
  };
}

/**
 * Writes `<outdir>/<name>.js` (and its source map) for each entry; throws with every problem found. Synchronous: the
 * tests build it from a synchronous spawn helper.
 */
export function bundleGateway(entries: BundleEntries, outdir: string): void {
  const result = buildSync({
    entryPoints: entries,
    outdir,
    allowOverwrite: true, // dist/main.js: tsc's output becomes the bundle
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL_PACKAGES,
    banner: { js: REQUIRE_SHIM },
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const problems: string[] = result.warnings.map((warning: Message) => {
    const where = warning.location === null ? '' : ` (${warning.location.file}:${warning.location.line})`;
    return `esbuild: ${warning.text}${where}`;
  });
  for (const name of Object.keys(entries)) {
    const code = readFileSync(path.join(outdir, `${name}.js`), 'utf8');
    // Comment lines are skipped (commander's documentation mentions __dirname).
    const used = code
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
      .flatMap((line) => line.match(/\b__(dirname|filename)\b/g) ?? []);
    if (used.length > 0) problems.push(`${name}.js uses ${[...new Set(used)].join(', ')}: keep that package external`);
  }
  if (problems.length > 0) throw new Error(`the bundle is refused:\n${problems.join('\n')}`);
}
