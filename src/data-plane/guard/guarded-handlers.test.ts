/**
 * Every event handler, timer and promise continuation of the data plane goes through the FaultGuard
 * (fault-guard.ts, ADR 0011): one exception in one request must not end the process. This test
 * reads the syntax tree of every file of src/data-plane (tests and the guard itself aside) and
 * fails on any way of registering a callback that bypasses it:
 *
 *   emitter.on / once / addListener / prependListener / prependOnceListener(…)
 *   promise.then / catch / finally(…)            (guard.settle)
 *   setTimeout / setInterval / setImmediate / queueMicrotask / process.nextTick(…)
 *                                                 (guard.timeout, guard.interval)
 *   x.setTimeout(ms, callback)                    (x.setTimeout(ms) + guard.listen(x, 'timeout', …))
 *   createServer(…, callback)                     (createServer(…) + guard.listenEach(…))
 *
 * Why a test and not a lint rule: it runs with `npm test`, where nothing can switch it off for a
 * line, and its one list of exceptions (below) is reviewed like code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The whole data plane: this test lives in its guard/ folder. */
const DATA_PLANE = path.dirname(import.meta.dirname);
/** The guard registers the listeners itself. */
const EXEMPT = new Set(['fault-guard.ts']);

const LISTENER_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
const PROMISE_METHODS = new Set(['then', 'catch', 'finally']);
const GLOBAL_SCHEDULERS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']);

/** `file:line: what` for each unguarded registration in `source`. */
export function unguardedRegistrations(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node, what: string): void => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    found.push(`${fileName}:${line + 1}: ${what}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : ts.isIdentifier(callee)
          ? callee.text
          : undefined;
      const isMethod = ts.isPropertyAccessExpression(callee);
      const hasFunctionArgument = node.arguments.some(
        (argument) => ts.isArrowFunction(argument) || ts.isFunctionExpression(argument),
      );
      if (name !== undefined) {
        if (isMethod && LISTENER_METHODS.has(name))
          report(node, `.${name}(…): register through guard.listen / listenOnce / attach`);
        else if (isMethod && PROMISE_METHODS.has(name)) report(node, `.${name}(…): continue through guard.settle`);
        else if (!isMethod && GLOBAL_SCHEDULERS.has(name))
          report(node, `${name}(…): schedule through guard.timeout / interval`);
        else if (isMethod && name === 'nextTick') report(node, 'process.nextTick(…): schedule through the guard');
        else if (isMethod && name === 'setTimeout' && node.arguments.length > 1)
          report(node, '.setTimeout(ms, callback): call .setTimeout(ms) and guard.listen(…, "timeout", …)');
        else if (name === 'createServer' && hasFunctionArgument)
          report(node, 'createServer(…, handler): register the handler through guard.listenEach');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function dataPlaneFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return dataPlaneFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !EXEMPT.has(entry.name) ? [full] : [];
  });
}

test('no data-plane file registers a handler, timer or continuation outside the FaultGuard', () => {
  const files = dataPlaneFiles(DATA_PLANE);
  assert.ok(files.length > 20, 'the data plane was found');
  const found = files.flatMap((file) =>
    unguardedRegistrations(path.relative(DATA_PLANE, file), readFileSync(file, 'utf8')),
  );
  assert.deepEqual(found, []);
});

test('the check finds each way of bypassing the guard (and not the guarded ones)', () => {
  const sample = [
    "socket.on('data', onData);",
    "res.once('close', () => undefined);",
    "stream.prependListener('error', onError);",
    'promise.then(send, fail);',
    'promise.catch(fail);',
    'setTimeout(() => undefined, 10);',
    'queueMicrotask(run);',
    'process.nextTick(run);',
    'session.setTimeout(120_000, () => session.close());',
    'net.createServer((socket) => peek(socket));',
    // Guarded, or no callback: not reported.
    "guard.listen(socket, 'data', 'client_hello', socket, onData);",
    "guard.attach(stream, 'error', onStreamError);",
    'session.setTimeout(120_000);',
    'http.createServer({ keepAliveTimeout: 5_000 });',
    "socket.off('data', onData);",
  ].join('\n');
  const found = unguardedRegistrations('sample.ts', sample);
  assert.deepEqual(
    found.map((line) => Number(line.split(':')[1])),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
});
