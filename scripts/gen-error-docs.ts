/** Writes docs/reference/errors.md from the error registry. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderErrorDocs } from '../src/errors/error-docs.ts';

const target = path.resolve(import.meta.dirname, '../docs/reference/errors.md');
writeFileSync(target, renderErrorDocs());
process.stdout.write(`wrote ${target}\n`);
