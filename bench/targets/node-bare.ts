/** Target: the bare node:https server (the Node ceiling: verification and an inline answer, no proxying). */
import { waitForPort } from '../node-script.ts';
import type { RunningTarget, Target, TargetEnvironment } from './target.ts';

export const nodeBareTarget: Target = {
  name: 'node-bare',
  description: 'node:https, requestCert + rejectUnauthorized, answers inline (no upstream)',
  unavailable: () => null,
  async start(env: TargetEnvironment): Promise<RunningTarget> {
    const { pki } = env;
    const child = env.spawnScript('node-bare', new URL('./node-bare-server.ts', import.meta.url), [
      pki.serverCertFile,
      pki.serverKeyFile,
      pki.caFile,
      env.config.sessionTickets,
    ]);
    try {
      const port = await waitForPort(child);
      return { port, pid: child.pid, version: `node ${process.version}`, notes: [], stop: () => child.stop() };
    } catch (err) {
      await child.stop();
      throw err;
    }
  },
};
