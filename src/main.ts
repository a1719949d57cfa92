#!/usr/bin/env node
/** Entry point of the `portcullis` command. */
import { runCli } from './cli/index.ts';

process.exitCode = await runCli(process.argv);
