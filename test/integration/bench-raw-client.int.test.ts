/** The benchmark's raw client must count what the server sends, or its "raw limit" is wrong. */
import { describe, expect, it } from 'vitest';
import { rawFetchAll } from '../../scripts/bench/raw-client.js';
import { benchMessage } from '../../scripts/bench/seed-maildir.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';

describe('rawFetchAll', () => {
  it('counts every FETCH response, literals and all, across folders', async () => {
    const user = freshUser('raw');
    await seedMailbox(dovecot(), user, {
      INBOX: [0, 1, 2, 19].map((i) => ({ source: Buffer.from(benchMessage(i)) })),
      Sent: [{ source: Buffer.from(benchMessage(5)) }],
    });
    const server = dovecot();
    expect(
      await rawFetchAll(
        server.host,
        server.imapPort,
        user.name,
        user.password,
        ['INBOX', 'Sent'],
        '(UID RFC822.SIZE BODY.PEEK[])',
      ),
    ).toBe(5);
    expect(
      await rawFetchAll(
        server.host,
        server.imapPort,
        user.name,
        user.password,
        ['INBOX', 'Sent'],
        '(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)',
      ),
    ).toBe(5);
  });
});
