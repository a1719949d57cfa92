import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { findBuiltFolder } from './web-root.ts';

describe('findBuiltFolder', () => {
  const top = mkdtempSync(path.join(tmpdir(), 'portcullis-web-root-'));
  after(() => rmSync(top, { recursive: true, force: true }));
  const file = (relative: string, text = ''): string => {
    const full = path.join(top, relative);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
    return full;
  };
  const moduleAt = (relative: string): string => pathToFileURL(file(relative)).href;

  file('pkg/package.json', '{}');
  file('pkg/dist/web/index.html');

  test('from the bundle, tsc output, the sources and the tests’ bundle: the package’s dist/web', () => {
    const expected = path.join(top, 'pkg/dist/web');
    for (const module of [
      'pkg/dist/main.js',
      'pkg/dist/admin-api/dashboard/web-root.js',
      'pkg/src/admin-api/dashboard/web-root.ts',
      'pkg/dist/.test-command/0123abcd/main.js',
    ])
      assert.equal(findBuiltFolder(moduleAt(module), 'web', 'index.html'), expected, module);
  });

  test('not built: undefined, and never a build above the package root', () => {
    file('outer/dist/portal-web/portal.html'); // another project's build, above the package
    file('outer/pkg2/package.json', '{}');
    assert.equal(findBuiltFolder(moduleAt('outer/pkg2/dist/main.js'), 'portal-web', 'portal.html'), undefined);
    assert.equal(findBuiltFolder(moduleAt('pkg/dist/main.js'), 'portal-web', 'portal.html'), undefined);
  });
});
