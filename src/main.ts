#!/usr/bin/env node
/** Entry point of the `portcullis` command. */
import cluster from 'node:cluster';
import { runCli } from './cli/index.ts';

process.exitCode = await runCli(process.argv);
// A worker of `--workers N` (docs/adr/0018-workers.md): its IPC channel to the primary keeps it running after its
// command has ended (drained, or refused at start), so the primary would wait for an exit that never comes. Once
// the command is over, the channel goes, and the process ends with its exit code as one process does.
if (cluster.worker !== undefined && process.connected) cluster.worker.disconnect(); // not process.disconnect(): exit 0
