/**
 * Full rows' attachments are digested as each message's answer arrives, not after the part
 * FETCH: the server goes on sending meanwhile, and the attachment bytes are let go at once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FetchedMessage } from '../../src/fetched-message.js';
import { fetchMessages } from '../../src/imap/fetch-messages.js';
import { fetchFields } from '../../src/read/fetch-fields.js';
import { addParts } from '../../src/read/part-plan.js';
import type { DigestedAttachments } from '../../src/rows/full-body.js';
import { resolveSelect } from '../../src/rows/select.js';
import { benchMessage } from '../../scripts/bench/seed-maildir.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { withNotedSession } from '../helpers/noted-session.js';
import { seedMailbox } from '../helpers/seed.js';

let user: { name: string; password: string };
beforeAll(async () => {
  user = freshUser('pp');
  await seedMailbox(dovecot(), user, {
    // The first eight messages with attachments that the benchmark's mailbox has.
    INBOX: Array.from({ length: 400 }, (_, i) => benchMessage(i))
      .filter((text) => text.includes('Content-Disposition: attachment'))
      .slice(0, 8)
      .map((text) => ({ source: Buffer.from(text) })),
  });
}, 60_000);

/** A digest map that notes each entry in the log it shares with the tagged answers. */
class NotedDigests extends Map<number, DigestedAttachments> {
  constructor(private readonly order: string[]) {
    super();
  }
  override set(uid: number, digested: DigestedAttachments): this {
    this.order.push('digest');
    return super.set(uid, digested);
  }
}

describe('addParts for full rows', () => {
  it('digests each message while its part FETCH is still answering', async () => {
    await withNotedSession(user, 'INBOX', async (session, order, uids) => {
      const query = fetchFields(resolveSelect({ select: 'full' }), session.client.capabilities);
      const { messages } = await fetchMessages(session, uids, query);
      const withAttachments = messages as FetchedMessage[];
      expect(withAttachments).toHaveLength(8);
      order.length = 0;
      const digests = new NotedDigests(order);
      const whole = await addParts(session, withAttachments, digests, {});
      expect(whole.size).toBe(0);
      expect(digests.size).toBe(withAttachments.length);
      // Every part FETCH ends with its tagged answer; digests come before the first one.
      expect(order.indexOf('tagged')).toBeGreaterThan(0);
      expect(order.slice(0, withAttachments.length / 2).every((e) => e === 'digest')).toBe(true);
      for (const message of withAttachments) {
        expect(digests.get(message.uid)!.attachments.length).toBeGreaterThan(0);
        expect(digests.get(message.uid)!.attachments[0]).toHaveProperty('sha256');
      }
    });
  });
});
