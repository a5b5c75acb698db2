#!/usr/bin/env node
import { runCli } from './cli.js';
import { processIo } from './output/command-io.js';

void runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
