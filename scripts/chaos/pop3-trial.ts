/**
 * A POP3 download (the panels' POP3 import), into another account or the archive, deleting at
 * the source half the time, under a fault on the POP3 session (a cut, silence, a session limit,
 * a restart) and maybe a kill -9 or Ctrl-C, then run until a run ends well. Then every message
 * the INBOX held is at the destination (a source's duplicate kept once, never more), and when
 * deleting, a run that ended well left none of them at the source: POP3 removes a message only
 * at QUIT, so a run cut between its DELEs and its QUIT must not count them gone, and the next
 * must neither copy them again nor leave them.
 */
import { join } from 'node:path';
import { withImapClient } from '../../test/helpers/imap-client.js';
import {
  arm,
  check,
  count,
  outcome,
  pick,
  runMaybeStopped,
  sourceFile,
  targetConnection,
  untilEndsWell,
  type Outcome,
} from './trials.js';
import {
  archiveContent,
  compare,
  mailboxContent,
  newAccount,
  seededAccount,
  sizeOf,
  type Account,
  type Content,
  type World,
} from './world.js';

/** The INBOX's bytes: a cut or silence falls anywhere in a download, its DELEs and QUIT too. */
async function inboxBytes(world: World, account: Account): Promise<number> {
  return withImapClient(account, world.dovecot, async (client) => {
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      let total = 0;
      if (client.mailbox && client.mailbox.exists)
        for await (const message of client.fetch('1:*', { size: true })) total += message.size ?? 0;
      return total;
    } finally {
      lock.release();
    }
  });
}

/** Only INBOX: what POP3 reads, and where its mail goes by default. */
const inboxOf = (content: Content): Content =>
  new Map([['INBOX', content.get('INBOX') ?? new Map<string, number>()]]);

export async function pop3Trial(world: World, random: () => number, dir: string): Promise<Outcome> {
  const archive = random() < 0.5;
  const deleting = random() < 0.5;
  const result = outcome(
    `POP3 download into ${archive ? 'the archive' : 'another account'}${deleting ? ', deleting' : ''}`,
  );
  const account = await seededAccount(world, random, 'cp');
  const expected = inboxOf(await mailboxContent(world, account));
  const target = newAccount(world, 'cq');
  const archivePath = join(dir, 'chaos.archive');
  const args = [
    'import',
    '--config',
    sourceFile(world, dir, account, world.pop3Proxy),
    '--pop3',
    ...(deleting ? ['--after', 'delete'] : []),
    ...(archive
      ? ['--archive', archivePath]
      : ['--target', targetConnection(world, dir, target), '--state', join(dir, 'pop3.state')]),
  ];
  const env = { IMAP_PASSWORD: account.password, IMAP_TARGET_PASSWORD: target.password };
  const fault = pick(random, ['none', 'cut', 'silent', 'restart', 'limit'] as const);
  const within = Math.ceil((await inboxBytes(world, account)) * 1.1);
  const disarm = arm(world, random, fault, { proxy: world.pop3Proxy, within });
  // A download takes under a second here, most of it Node starting.
  const first = await runMaybeStopped(args, env, random, { from: 300, span: 700 });
  disarm();
  count(result, first, 'POP3 import');
  const ended = await untilEndsWell(result, 'POP3 import', args, env, first);
  if (ended.code !== 0)
    result.problems.push(`POP3 import: no run ended well (${ended.stderr.trim().split('\n')[0]})`);
  const got = archive
    ? archiveContent(archivePath, `${account.name}@${world.dovecot.host}`)
    : await mailboxContent(world, target);
  check(result, expected, got, result.path);
  if (ended.code === 0 && compare(expected, got).lost > 0) result.falseSuccess++;
  if (deleting && ended.code === 0) {
    const left = sizeOf(inboxOf(await mailboxContent(world, account)));
    if (left > 0) {
      result.falseSuccess++;
      result.problems.push(`${result.path}: ended well with ${left} messages left at the source`);
    }
  }
  return result;
}
