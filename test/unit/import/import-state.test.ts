import { describe, expect, it } from 'vitest';
import { ImportState } from '../../../src/import/import-state.js';
import { openDatabase } from '../../../src/sinks/sqlite-driver.js';

const memory = () => openDatabase(':memory:', { readonly: false, busyTimeoutMs: 0 });
import { identify } from '../../../src/write/message-identity.js';

const identity = identify(Buffer.from('Subject: s\r\n\r\nbody'));

function fresh(job = 'job1'): ImportState {
  return new ImportState(memory(), job);
}

describe('ImportState', () => {
  it('starts with no progress and advances to the highest settled UID', () => {
    const state = fresh();
    expect(state.progress('INBOX')).toBeUndefined();
    state.resetFolder('INBOX', '7');
    state.complete('INBOX', '7', 3, false);
    state.complete('INBOX', '7', 2, false);
    expect(state.progress('INBOX')).toEqual({ uidValidity: '7', lastUid: 3 });
  });

  it('keeps an intent until the message is settled, and drops it on settle', () => {
    const state = fresh();
    state.resetFolder('INBOX', '7');
    state.beginIntents([
      { folder: 'INBOX', uidValidity: '7', uid: 4, destination: 'INBOX', identity },
    ]);
    expect(state.intents('INBOX', '7')).toEqual([
      { folder: 'INBOX', uidValidity: '7', uid: 4, destination: 'INBOX', identity },
    ]);
    expect(state.progress('INBOX')!.lastUid).toBe(0);
    state.complete('INBOX', '7', 4, true);
    expect(state.intents('INBOX', '7')).toEqual([]);
    expect(state.pendingActions('INBOX', '7')).toEqual([4]);
    state.clearActions('INBOX', '7', [4]);
    expect(state.pendingActions('INBOX', '7')).toEqual([]);
  });

  it('lists failed messages for a retry and forgets them once they succeed', () => {
    const state = fresh();
    state.resetFolder('INBOX', '7');
    state.settle(
      'INBOX',
      '7',
      [],
      [{ uid: 5, code: 'MESSAGE_TOO_LARGE', message: 'too big' }],
      false,
    );
    expect(state.progress('INBOX')!.lastUid).toBe(5);
    expect(state.failed('INBOX', '7')).toEqual([
      { uid: 5, code: 'MESSAGE_TOO_LARGE', message: 'too big' },
    ]);
    state.complete('INBOX', '7', 5, false);
    expect(state.failed('INBOX', '7')).toEqual([]);
  });

  it('forgets everything of a folder when its UIDVALIDITY changes, and keeps jobs apart', () => {
    const db = memory();
    const a = new ImportState(db, 'a');
    const b = new ImportState(db, 'b');
    a.resetFolder('INBOX', '1');
    a.complete('INBOX', '1', 9, true);
    a.settle('INBOX', '1', [], [{ uid: 10, code: 'APPEND_FAILED', message: 'no' }], false);
    b.resetFolder('INBOX', '1');
    a.resetFolder('INBOX', '2');
    expect(a.progress('INBOX')).toEqual({ uidValidity: '2', lastUid: 0 });
    expect(a.failed('INBOX', '1')).toEqual([]);
    expect(a.pendingActions('INBOX', '1')).toEqual([]);
    expect(b.progress('INBOX')).toEqual({ uidValidity: '1', lastUid: 0 });
  });
});
