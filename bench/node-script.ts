/** Starts one of the bench's own TypeScript scripts as a child node process (through tsx's loader). */
import { fileURLToPath } from 'node:url';
import { BenchChild, type BenchChildOptions } from './bench-child.ts';

export function startNodeScript(
  script: URL,
  args: string[],
  options: BenchChildOptions,
  nodeArgs: string[] = [],
): BenchChild {
  const loader = import.meta.resolve('tsx');
  return BenchChild.start(process.execPath, [...nodeArgs, '--import', loader, fileURLToPath(script), ...args], options);
}

/** Waits for the {"port":N} line that the bench's servers print when listening. */
export async function waitForPort(child: BenchChild, timeoutMs = 15_000): Promise<number> {
  const line = await child.waitForLine((l) => l.startsWith('{"port":'), timeoutMs);
  return (JSON.parse(line) as { port: number }).port;
}
