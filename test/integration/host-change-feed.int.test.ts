/**
 * The change feed in the stream hosts' own terms (issue 29, item 2), through the Airbyte and
 * Singer protocols against Dovecot, with the connection's `changes` field: the catalog has
 * the deletion marker column (`_ab_cdc_deleted_at`, `_sdc_deleted_at`), records of changed
 * messages come again whole with the marker null, those deleted or moved away with the marker
 * set. A host that upserts by `id` and drops marked rows, as incremental deduped syncs and
 * hard-deleting targets do, ends equal to the mailbox. (PyAirbyte and Meltano themselves run in
 * test/hosts; the Node-RED read node's msg.topic is covered there too.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { numberedMail } from '../helpers/host-mail.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

type Message = Record<string, any> & { type: string };
type User = { name: string; password: string };

async function run(args: string[]): Promise<Message[]> {
  const io = captureIo();
  const code = await main(args, io);
  expect(code, io.err()).toBe(0);
  return io
    .out()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Message);
}

function configFile(dir: string, user: User): string {
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      server: dovecot().host,
      port: dovecot().imapPort,
      security: 'none',
      username: user.name,
      password: user.password,
      changes: true,
    }),
  );
  return path;
}

/** What the mailbox holds: subject -> sorted flags. */
async function mailbox(user: User): Promise<Record<string, string[]>> {
  return withImapClient(user, dovecot(), async (client) => {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const result: Record<string, string[]> = {};
    for (const m of await client.fetchAll('1:*', { envelope: true, flags: true }))
      result[m.envelope!.subject!] = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
    return result;
  });
}

/** Another client reads one, flags one, deletes one, moves one away and delivers one. */
async function changeMailbox(user: User): Promise<void> {
  await seedMailbox(dovecot(), user, { Other: [] });
  await withImapClient(user, dovecot(), async (client) => {
    await client.mailboxOpen('INBOX');
    await client.messageFlagsAdd({ subject: 'INBOX 1' }, ['\\Seen']);
    await client.messageFlagsAdd({ subject: 'INBOX 2' }, ['\\Flagged']);
    await client.messageDelete({ subject: 'INBOX 3' });
    await client.messageMove({ subject: 'INBOX 4' }, 'Other');
    await client.append('INBOX', numberedMail('INBOX', 6, 1)[0]!.source);
  });
}

/** The host's table: records applied in order, upserted by id, removed when marked. */
function apply(
  table: Map<string, Record<string, any>>,
  records: Record<string, any>[],
  marker: string,
): void {
  for (const record of records) {
    if (record[marker]) table.delete(record.id);
    else table.set(record.id, record);
  }
}

/** Checks every record against its stream's schema, as targets do (target-jsonl refused a delete once). */
function expectValid(schema: object, records: Record<string, any>[]): void {
  const validate = new Ajv({ strict: false, validateFormats: false }).compile(schema);
  for (const record of records)
    expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
}

const asMailbox = (table: Map<string, Record<string, any>>) =>
  Object.fromEntries([...table.values()].map((r) => [r.subject, [...r.flags].sort()]));

describe('the change feed in the stream hosts', () => {
  it('Airbyte: _ab_cdc_deleted_at in the catalog and records; an upserting host equals the mailbox', async () => {
    const dir = tempDir();
    const user = freshUser('ac');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 5) });
    const config = configFile(dir, user);
    const [catalog] = (await run(['airbyte', 'discover', '--config', config])).filter(
      (m) => m.type === 'CATALOG',
    );
    const inbox = catalog!.catalog.streams.find((s: Message) => s.name === 'INBOX');
    expect(inbox.json_schema.properties._ab_cdc_deleted_at).toEqual({
      type: ['string', 'null'],
      format: 'date-time',
    });
    const catalogPath = join(dir, 'catalog.json');
    writeFileSync(
      catalogPath,
      JSON.stringify({
        streams: [
          {
            stream: inbox,
            sync_mode: 'incremental',
            destination_sync_mode: 'append_dedup',
            primary_key: [['id']],
          },
        ],
      }),
    );
    const table = new Map<string, Record<string, any>>();
    const read = async (state?: unknown) => {
      const args = ['airbyte', 'read', '--config', config, '--catalog', catalogPath];
      if (state) {
        writeFileSync(join(dir, 'state.json'), JSON.stringify([state]));
        args.push('--state', join(dir, 'state.json'));
      }
      const messages = await run(args);
      const records = messages.filter((m) => m.type === 'RECORD').map((m) => m.record.data);
      apply(table, records, '_ab_cdc_deleted_at');
      return { records, state: messages.filter((m) => m.type === 'STATE').at(-1)!.state };
    };
    const first = await read();
    expect(first.records.every((r) => r._ab_cdc_deleted_at === null)).toBe(true);
    expect(asMailbox(table)).toEqual(await mailbox(user));
    await changeMailbox(user);
    const second = await read(first.state);
    expectValid(inbox.json_schema, [...first.records, ...second.records]);
    const marked = second.records.filter((r) => r._ab_cdc_deleted_at !== null);
    expect(marked).toHaveLength(2);
    expect(Number.isNaN(Date.parse(marked[0]!._ab_cdc_deleted_at))).toBe(false);
    expect(asMailbox(table)).toEqual(await mailbox(user));
  }, 60_000);

  it('Singer: _sdc_deleted_at in the schema and records; an upserting target equals the mailbox', async () => {
    const dir = tempDir();
    const user = freshUser('sc');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 5) });
    const config = configFile(dir, user);
    const io = captureIo();
    expect(await main(['singer', '--discover', '--config', config], io)).toBe(0);
    const inbox = (JSON.parse(io.out()) as Message).streams.find(
      (s: Message) => s.stream === 'INBOX',
    );
    expect(inbox.schema.properties._sdc_deleted_at).toEqual({
      type: ['string', 'null'],
      format: 'date-time',
    });
    const table = new Map<string, Record<string, any>>();
    const sync = async (state?: unknown) => {
      const args = ['singer', '--config', config];
      if (state) {
        writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
        args.push('--state', join(dir, 'state.json'));
      }
      const messages = await run(args);
      const schema = messages.find((m) => m.type === 'SCHEMA' && m.stream === 'INBOX')!;
      expect(schema.schema.properties._sdc_deleted_at).toBeDefined();
      const records = messages
        .filter((m) => m.type === 'RECORD' && m.stream === 'INBOX')
        .map((m) => m.record);
      apply(table, records, '_sdc_deleted_at');
      return { records, state: messages.filter((m) => m.type === 'STATE').at(-1)!.value };
    };
    const first = await sync();
    expect(asMailbox(table)).toEqual(await mailbox(user));
    await changeMailbox(user);
    const second = await sync(first.state);
    expectValid(inbox.schema, [...first.records, ...second.records]);
    expect(second.records.filter((r) => r._sdc_deleted_at !== null)).toHaveLength(2);
    expect(asMailbox(table)).toEqual(await mailbox(user));
  }, 60_000);
});
