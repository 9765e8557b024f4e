#!/usr/bin/env -S node --max-semi-space-size=64
/** The `pte` executable. All behaviour is in run.ts; this file only binds it to the process. */
import { processIo } from './io.js';
import { run } from './run.js';

// A reader that stops early (`pte export | head`) is not an error: stop writing and exit quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const code = await run(process.argv.slice(2), processIo());
process.exitCode = code;
// Normally every handle is closed by now and the process ends on its own; this backstop keeps a
// straggling handle (a socket in TIME_WAIT teardown, a logger flush) from holding the shell.
setTimeout(() => process.exit(code), 1_000).unref();
