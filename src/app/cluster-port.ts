/**
 * IpcPorts (store/ipc/ipc-port.ts) over node:cluster: a worker's channel to its primary, and the
 * primary's channel to one worker. Sending never throws and never emits an unhandled 'error': a
 * message to a process that is gone is dropped (what waits for an answer has its own timeout).
 */
import type { Worker } from 'node:cluster';
import { isIpcMessage, type IpcMessage, type IpcPort } from '../store/ipc/ipc-port.ts';

/** In a worker: the channel to the primary. */
export function primaryPort(): IpcPort {
  return {
    send(message: IpcMessage) {
      if (process.send === undefined || !process.connected) return;
      process.send(message, undefined, {}, () => undefined);
    },
    onMessage(listener) {
      const onMessage = (message: unknown): void => {
        if (isIpcMessage(message)) listener(message);
      };
      process.on('message', onMessage);
      return () => process.off('message', onMessage);
    },
  };
}

/** In the primary: the channel to `worker`. */
export function workerPort(worker: Worker): IpcPort {
  return {
    send(message: IpcMessage) {
      if (!worker.isConnected()) return;
      worker.send(message, undefined, () => undefined);
    },
    onMessage(listener) {
      const onMessage = (message: unknown): void => {
        if (isIpcMessage(message)) listener(message);
      };
      worker.on('message', onMessage);
      return () => worker.off('message', onMessage);
    },
  };
}
