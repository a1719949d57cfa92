/** What the figures were measured on, for the report header. */
import os from 'node:os';
import { spawnSync } from 'node:child_process';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  kernel: string;
  node: string;
  openssl: string;
  tasksetAvailable: boolean;
}

export function machineInfo(): MachineInfo {
  return {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    openssl: process.versions.openssl,
    tasksetAvailable: spawnSync('taskset', ['-V'], { timeout: 5_000 }).status === 0,
  };
}
