/**
 * `read --watch`: everything after the state, then each new message as it arrives (watch():
 * IDLE, every wake-up read from the cursor), until Ctrl-C or SIGTERM. Each page is written and
 * committed as a batch, and the state moves only once the output provably took it.
 */
import { watch } from '../read/watch.js';
import type { ReadJob } from './read-command.js';

export async function readWatching(job: ReadJob): Promise<void> {
  const { io, values } = job;
  let rows = 0;
  await watch(job.connection, job.query, {
    ...job.options,
    signal: io.signal ?? new AbortController().signal,
    onRows: async (page) => {
      for (const row of page.rows) job.sink.write(row);
      rows += page.rows.length;
      job.delivery.checkpoint(page.cursor);
      await job.delivery.deliver();
    },
    onReconnect: (error, waitMs) =>
      io.stderr.write(`${error.code}: ${error.message} Watching again in ${waitMs} ms.\n`),
  });
  io.stderr.write(
    `${rows} rows; stopped watching.${values.state ? ` State saved in ${values.state}.` : ''}\n`,
  );
}
