import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/validate-config.js';
import type { FetchedMessage } from '../../../src/fetched-message.js';
import { assembleRows, type FetchedBatch } from '../../../src/read/assemble-rows.js';
import type { ReadPlan } from '../../../src/read/prepare-read.js';
import type { RowContext } from '../../../src/rows/message-to-row.js';

const ctx: RowContext = {
  account: 'reader@mail.example.com',
  folder: 'INBOX',
  uidValidity: '1',
  dateTimeFormat: 'ISO8601',
};

function batchOf(count: number): FetchedBatch {
  const messages = Array.from(
    { length: count },
    (_, i): FetchedMessage => ({
      uid: i + 1,
      flags: new Set<string>(),
      internalDate: new Date('2026-01-01T00:00:00Z'),
      size: 100,
      envelope: { subject: `m${i + 1}` },
    }),
  );
  return { messages, oversized: new Set(), wholeSource: new Set(), digests: new Map() };
}

/** A plan whose projection takes `msPerRow` of CPU per row, and counts the rows it saw. */
function slowPlan(msPerRow: number, seen: { rows: number }): ReadPlan {
  const projection = {
    async evaluate(row: unknown) {
      const until = performance.now() + msPerRow;
      while (performance.now() < until);
      seen.rows++;
      return row;
    },
  };
  return {
    select: { level: 'envelope', projection, headers: [], raw: false },
  } as unknown as ReadPlan;
}

describe('assembleRows', () => {
  // The next batch's answers wait in the socket while rows are made: without a turn for the
  // event loop its part FETCH would go out only after the whole batch's rows.
  it('gives the event loop a turn while a long batch becomes rows', async () => {
    const seen = { rows: 0 };
    let rowsWhenIoRan: number | undefined;
    setImmediate(() => (rowsWhenIoRan = seen.rows));
    const rows: unknown[] = [];
    await assembleRows(slowPlan(3, seen), {} as Config, batchOf(6), ctx, rows);
    expect(rows).toHaveLength(6);
    expect(rowsWhenIoRan).toBeGreaterThan(0);
    expect(rowsWhenIoRan).toBeLessThan(6);
  });

  it('keeps the rows in the batch order across those turns', async () => {
    const rows: unknown[] = [];
    await assembleRows(slowPlan(2, { rows: 0 }), {} as Config, batchOf(8), ctx, rows);
    expect(rows.map((row) => (row as { uid: number }).uid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
