/**
 * `imap-connector singer`: a Singer tap against the real Dovecot. --about and the Meltano
 * settings from the manifest, the catalog with selection metadata, SCHEMA before RECORDs,
 * STATE bookmarks to resume from, selected streams and deselected properties honoured, and
 * errors on stderr with stdout left clean. (Meltano itself runs it in test/hosts/meltano.host.test.ts.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { sourceFields } from '../../src/adapters/host-fields.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { numberedMail, subjects } from '../helpers/host-mail.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

type Message = Record<string, any> & { type: string };

async function tap(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['singer', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const messagesOf = (out: string): Message[] =>
  out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Message);

function configFile(dir: string, user: { name: string; password: string }): string {
  const server = dovecot();
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      server: server.host,
      port: server.imapPort,
      security: 'none',
      username: user.name,
      password: user.password,
      maxQueueDepth: 2,
    }),
  );
  return path;
}

describe('imap-connector singer', () => {
  it('--about and --meltano-yml list every source field of the manifest; secrets are passwords', async () => {
    const about = JSON.parse((await tap(['--about'])).out) as Message;
    expect(about.capabilities).toEqual(['catalog', 'discover', 'state', 'about']);
    expect(Object.keys(about.settings.properties)).toEqual(sourceFields().map((f) => f.name));
    expect(about.settings.properties.password.writeOnly).toBe(true);
    expect(about.settings.required).toEqual(['server', 'username']);
    const yml = parse((await tap(['--meltano-yml'])).out) as Message;
    const extractor = yml.plugins.extractors[0];
    expect(extractor).toMatchObject({
      name: 'tap-imap-connector',
      executable: 'imap-connector-singer',
      capabilities: ['catalog', 'discover', 'state', 'about'],
    });
    const settings = new Map<string, Message>(extractor.settings.map((s: Message) => [s.name, s]));
    expect([...settings.keys()]).toEqual(sourceFields().map((f) => f.name));
    for (const field of sourceFields().filter((f) => f.secret))
      expect(settings.get(field.name)).toMatchObject({ kind: 'password', sensitive: true });
    expect(settings.get('security')!.options).toContainEqual({
      label: 'STARTTLS (port 143)',
      value: 'starttls',
    });
    expect(settings.get('port')!.kind).toBe('integer');
    expect((await tap(['--about', '--format', 'markdown'])).out).toMatch(/^# tap-imap-connector/);
  });

  it('--discover: a stream per folder with key, replication key and selection metadata', async () => {
    const dir = tempDir();
    const user = freshUser('sg');
    await seedMailbox(dovecot(), user, { Archive: numberedMail('Archive', 1, 1) });
    const { code, out } = await tap(['--config', configFile(dir, user), '--discover']);
    expect(code).toBe(0);
    const catalog = JSON.parse(out) as Message;
    const archive = catalog.streams.find((s: Message) => s.tap_stream_id === 'Archive');
    expect(archive).toMatchObject({
      stream: 'Archive',
      key_properties: ['id'],
      replication_key: 'uid',
      replication_method: 'INCREMENTAL',
    });
    expect(JSON.stringify(archive.schema)).not.toContain('$ref');
    const top = archive.metadata.find((m: Message) => m.breadcrumb.length === 0).metadata;
    expect(top).toMatchObject({
      'table-key-properties': ['id'],
      'valid-replication-keys': ['uid'],
    });
    const id = archive.metadata.find((m: Message) => m.breadcrumb[1] === 'id').metadata;
    expect(id.inclusion).toBe('automatic');
  });

  it('sync: SCHEMA, RECORDs, STATE bookmarks; a second run from the state gets only new mail', async () => {
    const dir = tempDir();
    const user = freshUser('sg');
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 5),
      Archive: numberedMail('Archive', 1, 2),
    });
    const config = configFile(dir, user);
    const first = await tap(['--config', config]);
    expect(first.code).toBe(0);
    const messages = messagesOf(first.out);
    const inbox = messages.filter((m) => m.stream === 'INBOX');
    expect(inbox[0]!.type).toBe('SCHEMA');
    expect(inbox[0]!.key_properties).toEqual(['id']);
    expect(inbox.filter((m) => m.type === 'RECORD').map((m) => m.record.subject)).toEqual(
      subjects('INBOX', 1, 5),
    );
    const lastState = messages.filter((m) => m.type === 'STATE').at(-1)!.value;
    expect(lastState.bookmarks.INBOX).toMatchObject({ lastUid: 5 });
    expect(lastState.bookmarks.Archive).toMatchObject({ lastUid: 2 });
    // A STATE comes after the records it covers: a run from a middle one repeats nothing.
    const middle = messages.findIndex(
      (m) => m.type === 'STATE' && m.value.bookmarks.INBOX?.lastUid === 2,
    );
    expect(messages.slice(0, middle).filter((m) => m.type === 'RECORD')).toHaveLength(2);

    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 6, 2) });
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify(lastState));
    const second = messagesOf((await tap(['--config', config, '--state', state])).out);
    expect(second.filter((m) => m.type === 'RECORD').map((m) => m.record.subject)).toEqual(
      subjects('INBOX', 6, 2),
    );
    // Meltano's own wrapping of the state is understood too.
    writeFileSync(
      state,
      JSON.stringify({ singer_state: second.filter((m) => m.type === 'STATE').at(-1)!.value }),
    );
    const third = messagesOf((await tap(['--config', config, '--state', state])).out);
    expect(third.filter((m) => m.type === 'RECORD')).toEqual([]);
    expect(first.out + first.err).not.toContain(user.password);
  });

  it('streams are named for hosts, the folder in metadata and records; a bookmark under the folder path still counts', async () => {
    const dir = tempDir();
    const user = freshUser('sg');
    await seedMailbox(dovecot(), user, {
      'Archive/2023': numberedMail('Nested', 1, 2),
      日本語: numberedMail('Kanji', 1, 1),
    });
    const config = configFile(dir, user);
    const catalog = JSON.parse((await tap(['--config', config, '--discover'])).out) as Message;
    const nameOf = (folder: string): string =>
      catalog.streams.find(
        (s: Message) =>
          s.metadata.find((m: Message) => m.breadcrumb.length === 0).metadata['imap-folder'] ===
          folder,
      ).tap_stream_id;
    expect(nameOf('Archive/2023')).toMatch(/^Archive_2023_[0-9a-f]{8}$/);
    expect(nameOf('日本語')).toMatch(/^folder_[0-9a-f]{8}$/);
    expect(nameOf('INBOX')).toBe('INBOX');

    const first = messagesOf((await tap(['--config', config])).out);
    const nested = first.filter((m) => m.type === 'RECORD' && m.stream === nameOf('Archive/2023'));
    expect(nested.map((m) => m.record.subject)).toEqual(subjects('Nested', 1, 2));
    expect(nested.every((m) => m.record.folder === 'Archive/2023')).toBe(true);
    // A state from before streams were renamed: its bookmark moves to the new name.
    const older = {
      bookmarks: {
        'Archive/2023': first.filter((m) => m.type === 'STATE').at(-1)!.value.bookmarks[
          nameOf('Archive/2023')
        ],
      },
    };
    const state = join(dir, 'older-state.json');
    writeFileSync(state, JSON.stringify(older));
    await seedMailbox(dovecot(), user, { 'Archive/2023': numberedMail('Nested', 3, 1) });
    const second = messagesOf((await tap(['--config', config, '--state', state])).out);
    expect(
      second
        .filter((m) => m.type === 'RECORD' && m.stream === nameOf('Archive/2023'))
        .map((m) => m.record.subject),
    ).toEqual(subjects('Nested', 3, 1));
    const bookmarks = second.filter((m) => m.type === 'STATE').at(-1)!.value.bookmarks;
    expect(Object.keys(bookmarks)).toContain(nameOf('Archive/2023'));
    expect(Object.keys(bookmarks)).not.toContain('Archive/2023');
  });

  it('a catalog selects streams and leaves out deselected properties', async () => {
    const dir = tempDir();
    const user = freshUser('sg');
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 2),
      Archive: numberedMail('Archive', 1, 2),
    });
    const config = configFile(dir, user);
    const catalog = JSON.parse((await tap(['--config', config, '--discover'])).out) as Message;
    for (const stream of catalog.streams) {
      const top = stream.metadata.find((m: Message) => m.breadcrumb.length === 0);
      top.metadata.selected = stream.tap_stream_id === 'Archive';
      for (const m of stream.metadata)
        if (m.breadcrumb[1] === 'flags' || m.breadcrumb[1] === 'id') m.metadata.selected = false;
    }
    const path = join(dir, 'catalog.json');
    writeFileSync(path, JSON.stringify(catalog));
    const messages = messagesOf((await tap(['--config', config, '--catalog', path])).out);
    const records = messages.filter((m) => m.type === 'RECORD');
    expect(records.map((m) => m.stream)).toEqual(['Archive', 'Archive']);
    expect(records[0]!.record).not.toHaveProperty('flags');
    // id is the key: automatic, never left out.
    expect(records[0]!.record).toHaveProperty('id');
    const schema = messages.find((m) => m.type === 'SCHEMA')!.schema;
    expect(schema.properties).not.toHaveProperty('flags');
  });

  it('errors go to stderr with code and hint; stdout stays clean; no secret anywhere', async () => {
    const dir = tempDir();
    const user = freshUser('sg');
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify({ bookmarks: { INBOX: { lastUid: 3 } } }));
    const badState = await tap(['--config', configFile(dir, user), '--state', state]);
    expect(badState.code).toBe(2);
    expect(badState.out).toBe('');
    expect(badState.err).toMatch(/USAGE_INVALID.*state/);
    const wrong = { ...user, password: `${user.password}-wrong-sentinel` };
    const denied = await tap(['--config', configFile(dir, wrong)]);
    expect(denied.code).not.toBe(0);
    expect(denied.out).toBe('');
    expect(denied.err).toMatch(/AUTH_FAILED/);
    expect(denied.err).not.toContain(wrong.password);
  });
});
