#!/usr/bin/env node
/** `imap-connector-airbyte`: the Airbyte source as one executable (PyAirbyte's local_executable, a Docker entrypoint). */
import { runAsProgram } from './main.js';

runAsProgram(['airbyte', ...process.argv.slice(2)]);
