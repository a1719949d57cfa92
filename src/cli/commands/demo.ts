import type { Command } from 'commander';
export function registerDemoCommand(_program: Command, _setResult: (result: Promise<number>) => void): void {
  // filled in below
}
