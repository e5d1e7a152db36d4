/**
 * Everything src/imap/imapflow-internals.ts takes from imapflow's internals is there, on a
 * live session: an imapflow upgrade that moves any of it fails here, instead of silently
 * sending every FETCH and SEARCH through the slow paths (issue 10).
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate-config.js';
import { canBorrowSocket } from '../../src/imap/borrow-socket.js';
import { checkInternals } from '../../src/imap/imapflow-internals.js';
import { openSession } from '../../src/imap/open-session.js';
import { freshUser, makeConfig } from '../helpers/make-config.js';

describe('checkInternals', () => {
  it('finds every internal the connector uses, on the module and on a connected session', async () => {
    expect(checkInternals()).toEqual([]);
    const session = await openSession(validateConfig(makeConfig(freshUser('ii'))));
    try {
      expect(checkInternals(session.client)).toEqual([]);
      expect(canBorrowSocket(session.client)).toBe(true);
    } finally {
      await session.close();
    }
  });
});
