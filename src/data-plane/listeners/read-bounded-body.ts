/** Reads a request body into memory up to `limit` bytes; resolves undefined when it is larger. */
import type { Readable } from 'node:stream';
import type { FaultGuard, FaultTarget, GuardStage } from '../guard/fault-guard.ts';

/** `stage`, `target`: where a fault in reading is counted, and what it ends (the response waiting for the body). */
export function readBoundedBody(
  body: Readable,
  limit: number,
  guard: FaultGuard,
  stage: GuardStage,
  target: FaultTarget,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    guard.listen(body, 'data', stage, target, (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        body.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    guard.listenOnce(body, 'end', stage, target, () => resolve(Buffer.concat(chunks)));
    guard.listenOnce(body, 'error', stage, target, reject);
  });
}
