/**
 * `npm run build`'s last step: dist/main.js (the `portcullis` command) and the two worker-thread modules become
 * single files, bundled from tsc's output (scripts/bundle-gateway.ts, docs/adr/0025-bundled-dist.md).
 */
import path from 'node:path';
import { bundleGateway, gatewayEntries } from './bundle-gateway.ts';

const DIST = path.resolve(import.meta.dirname, '../dist');

try {
  bundleGateway(gatewayEntries(DIST, '.js'), DIST);
  console.log('bundled dist/main.js, dist/crl-thread-worker.js, dist/crl-acceptance-worker.js');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
