#!/usr/bin/env node
/** `imap-connector-singer`: the Singer tap as one executable (a Meltano extractor's `executable`). */
import { runAsProgram } from './main.js';

runAsProgram(['singer', ...process.argv.slice(2)]);
