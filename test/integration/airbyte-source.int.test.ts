/**
 * `imap-connector airbyte`: the Airbyte protocol on stdout against the real Dovecot. SPEC
 * generated from the manifest, CHECK, a CATALOG per folder, RECORD and per-stream STATE, a
 * resume from any STATE without gaps or repeats, and errors as TRACE messages with the code.
 * (PyAirbyte itself runs this source in test/hosts/pyairbyte.host.test.ts.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { sourceFields } from '../../src/adapters/host-fields.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { numberedMail, subjects } from '../helpers/host-mail.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

type Message = Record<string, any> & { type: string };

async function airbyte(
  args: string[],
): Promise<{ code: number; messages: Message[]; text: string }> {
  const io = captureIo();
  const code = await main(['airbyte', ...args], io);
  const text = io.out() + io.err();
  const messages = io
    .out()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Message);
  return { code, messages, text };
}

function configFile(dir: string, user: { name: string; password: string }, extra = {}): string {
  const server = dovecot();
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      server: server.host,
      port: server.imapPort,
      security: 'none',
      authentication: { authMethod: 'password', username: user.name, password: user.password },
      ...extra,
    }),
  );
  return path;
}

function catalogFile(dir: string, streams: string[], mode = 'incremental'): string {
  const path = join(dir, `catalog-${encodeURIComponent(streams.join('-'))}-${mode}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      streams: streams.map((name) => ({
        stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
        sync_mode: mode,
        destination_sync_mode: 'append',
      })),
    }),
  );
  return path;
}

const records = (messages: Message[], stream?: string): Message[] =>
  messages
    .filter((m) => m.type === 'RECORD' && (!stream || m.record.stream === stream))
    .map((m) => m.record.data);
const states = (messages: Message[]): Message[] => messages.filter((m) => m.type === 'STATE');

describe('imap-connector airbyte', () => {
  it('SPEC: every source field of the manifest, secrets marked, login methods as oneOf', async () => {
    const { code, messages } = await airbyte(['spec']);
    expect(code).toBe(0);
    expect(messages.map((m) => m.type)).toEqual(['SPEC']);
    const spec = messages[0]!.spec.connectionSpecification;
    expect(spec.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const auth = spec.properties.authentication;
    expect(auth.oneOf.map((b: Message) => b.title)).toEqual(['Password', 'Master user', 'OAuth2']);
    const [password, master, oauth] = auth.oneOf as Message[];
    expect(password!.required).toEqual(['authMethod', 'username', 'password']);
    expect(password!.properties.password.airbyte_secret).toBe(true);
    expect(master!.required).toContain('authorizationIdentity');
    expect(Object.keys(oauth!.properties)).not.toContain('password');
    expect(oauth!.properties.oauth2RefreshToken.airbyte_secret).toBe(true);
    // Generated from connector.json: each source field is somewhere in the form.
    const names = new Set([
      ...Object.keys(spec.properties),
      ...auth.oneOf.flatMap((b: Message) => Object.keys(b.properties)),
    ]);
    for (const field of sourceFields()) expect(names).toContain(field.name);
    expect(names).not.toContain('isTarget');
    const orders = Object.values(spec.properties).map((p) => (p as { order: number }).order);
    expect(new Set(orders).size).toBe(orders.length);
    expect(spec.properties.query.multiline).toBe(true);
    // A config in this shape validates with a stock draft-07 validator (Airbyte's own check).
    const validate = new Ajv({ strict: false }).compile(spec);
    expect(
      validate({
        server: '127.0.0.1',
        authentication: { authMethod: 'password', username: 'u', password: 'p' },
      }),
    ).toBe(true);
    expect(validate({ server: '127.0.0.1', authentication: { authMethod: 'password' } })).toBe(
      false,
    );
  });

  it('CHECK: SUCCEEDED with the folder count; a wrong password FAILED with AUTH_FAILED and no secret', async () => {
    const dir = tempDir();
    const user = freshUser('ab');
    const ok = await airbyte(['check', '--config', configFile(dir, user)]);
    expect(ok.code).toBe(0);
    const status = ok.messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus;
    expect(status.status).toBe('SUCCEEDED');
    expect(status.message).toMatch(/\d+ folders/);
    const wrong = { ...user, password: `${user.password}-wrong-sentinel` };
    const bad = await airbyte(['check', '--config', configFile(dir, wrong)]);
    expect(bad.code).toBe(0);
    const failed = bad.messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus;
    expect(failed).toMatchObject({ status: 'FAILED' });
    expect(failed.message).toMatch(/^AUTH_FAILED: /);
    expect(bad.text).not.toContain(wrong.password);
  });

  it('CHECK of a config the schema refuses fails before any connection, naming the field', async () => {
    const dir = tempDir();
    const path = join(dir, 'config.json');
    // Port 9 on loopback: were anything sent, the answer would be CONNECTION_REFUSED.
    writeFileSync(
      path,
      JSON.stringify({
        server: '127.0.0.1',
        port: 'nine',
        authentication: { authMethod: 'password', username: 'u', password: 'p' },
      }),
    );
    const { messages } = await airbyte(['check', '--config', path]);
    const status = messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus;
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/^CONFIG_INVALID: .*port/);
  });

  it('DISCOVER: a stream per folder, id as primary key, uid as cursor, a schema without refs or unions', async () => {
    const dir = tempDir();
    const user = freshUser('ab');
    await seedMailbox(dovecot(), user, { Archive: numberedMail('Archive', 1, 1) });
    const { messages } = await airbyte(['discover', '--config', configFile(dir, user)]);
    const catalog = messages.find((m) => m.type === 'CATALOG')!.catalog;
    const archive = catalog.streams.find((s: Message) => s.name === 'Archive');
    expect(archive).toMatchObject({
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['uid'],
      source_defined_primary_key: [['id']],
    });
    const text = JSON.stringify(archive.json_schema);
    expect(text).not.toContain('$ref');
    expect(text).not.toContain('anyOf');
    expect(archive.json_schema.properties.date).toMatchObject({
      type: ['string', 'null'],
      format: 'date-time',
    });
    expect(archive.json_schema.properties.from.type).toBe('array');
    const epoch = await airbyte([
      'discover',
      '--config',
      configFile(dir, user, { dateTimeFormat: 'epochMillis' }),
    ]);
    const epochSchema = epoch.messages.find((m) => m.type === 'CATALOG')!.catalog.streams[0]
      .json_schema;
    expect(epochSchema.properties.internalDate.type).toEqual(['integer', 'null']);
    expect(epochSchema.properties.internalDate.format).toBeUndefined();
  });

  it('READ: every message once with per-stream STATE; from any STATE only what follows it', async () => {
    const dir = tempDir();
    const user = freshUser('ab');
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 7),
      Archive: numberedMail('Archive', 1, 3),
    });
    // Pages of 2 messages: several STATE messages per stream.
    const config = configFile(dir, user, { maxQueueDepth: 2 });
    const catalog = catalogFile(dir, ['INBOX', 'Archive']);
    const first = await airbyte(['read', '--config', config, '--catalog', catalog]);
    expect(first.code).toBe(0);
    expect(records(first.messages, 'INBOX').map((r) => r.subject)).toEqual(subjects('INBOX', 1, 7));
    expect(records(first.messages, 'Archive').map((r) => r.subject)).toEqual(
      subjects('Archive', 1, 3),
    );
    const inboxStates = states(first.messages).filter(
      (m) => m.state.stream.stream_descriptor.name === 'INBOX',
    );
    expect(inboxStates.length).toBeGreaterThanOrEqual(4);
    expect(inboxStates.at(-1)!.state.stream.stream_state).toMatchObject({ lastUid: 7 });
    // Each STATE follows the records it covers: resuming from the second INBOX state reads 5-7.
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, JSON.stringify([inboxStates[1]!.state]));
    const resumed = await airbyte([
      'read',
      '--config',
      config,
      '--catalog',
      catalog,
      '--state',
      stateFile,
    ]);
    expect(records(resumed.messages, 'INBOX').map((r) => r.subject)).toEqual(
      subjects('INBOX', 5, 3),
    );
    // The state list Airbyte keeps (the last STATE per stream) after new mail: only the new.
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 8, 2),
      Archive: numberedMail('Archive', 4, 1),
    });
    const last = new Map<string, Message>();
    for (const m of states(first.messages))
      last.set(m.state.stream.stream_descriptor.name, m.state);
    writeFileSync(stateFile, JSON.stringify([...last.values()]));
    const next = await airbyte([
      'read',
      '--config',
      config,
      '--catalog',
      catalog,
      '--state',
      stateFile,
    ]);
    expect(records(next.messages).map((r) => r.subject)).toEqual([
      ...subjects('INBOX', 8, 2),
      ...subjects('Archive', 4, 1),
    ]);
    // full_refresh ignores the state.
    const full = await airbyte([
      'read',
      '--config',
      config,
      '--catalog',
      catalogFile(dir, ['Archive'], 'full_refresh'),
      '--state',
      stateFile,
    ]);
    expect(records(full.messages)).toHaveLength(4);
    expect(
      full.messages
        .filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS')
        .map((m) => m.trace.stream_status.status),
    ).toEqual(['STARTED', 'RUNNING', 'COMPLETE']);
    expect(first.text + next.text + full.text).not.toContain(user.password);
  });

  it('streams are named for hosts (nested, non-Latin, spaces, &): records keep the folder, old states still count', async () => {
    const dir = tempDir();
    const user = freshUser('ab');
    const folders = ['Archive/2023', '日本語', 'Sent Items', 'R&D'];
    await seedMailbox(
      dovecot(),
      user,
      Object.fromEntries(folders.map((folder, n) => [folder, numberedMail(`F${n}`, 1, 2)])),
    );
    const config = configFile(dir, user);
    const discovered = await airbyte(['discover', '--config', config]);
    const streams = discovered.messages.find((m) => m.type === 'CATALOG')!.catalog.streams as {
      name: string;
      json_schema: Record<string, unknown>;
    }[];
    const byFolder = new Map(streams.map((s) => [s.json_schema['x-imap-folder'], s.name]));
    expect(byFolder.get('INBOX')).toBe('INBOX');
    for (const folder of folders)
      expect(byFolder.get(folder)).toMatch(/^[A-Za-z][A-Za-z0-9_]*_[0-9a-f]{8}$/);
    expect(byFolder.get('Archive/2023')).toMatch(/^Archive_2023_/);

    const read = await airbyte([
      'read',
      '--config',
      config,
      '--catalog',
      catalogFile(
        dir,
        folders.map((f) => byFolder.get(f)!),
      ),
    ]);
    expect(read.code).toBe(0);
    folders.forEach((folder, n) => {
      const rows = records(read.messages, byFolder.get(folder));
      expect(rows.map((r) => r.subject)).toEqual(subjects(`F${n}`, 1, 2));
      expect(rows.every((r) => r.folder === folder)).toBe(true);
    });
    // A catalog and a state made when streams had the folder's name: read by it, resumed from it.
    const olderState = states(read.messages)
      .filter((m) => m.state.stream.stream_descriptor.name === byFolder.get('Archive/2023'))
      .at(-1)!.state;
    olderState.stream.stream_descriptor.name = 'Archive/2023';
    const stateFile = join(dir, 'older-state.json');
    writeFileSync(stateFile, JSON.stringify([olderState]));
    await seedMailbox(dovecot(), user, { 'Archive/2023': numberedMail('F0', 3, 1) });
    const older = await airbyte([
      'read',
      '--config',
      config,
      '--catalog',
      catalogFile(dir, ['Archive/2023']),
      '--state',
      stateFile,
    ]);
    expect(older.code).toBe(0);
    expect(records(older.messages, 'Archive/2023').map((r) => r.subject)).toEqual(
      subjects('F0', 3, 1),
    );
  });

  it('READ errors are TRACE messages with the code: bad catalog, unknown stream, wrong password', async () => {
    const dir = tempDir();
    const user = freshUser('ab');
    const badCatalog = join(dir, 'bad.json');
    writeFileSync(
      badCatalog,
      JSON.stringify({ streams: [{ stream: { name: 'INBOX' }, sync_mode: 'sometimes' }] }),
    );
    const bad = await airbyte(['read', '--config', configFile(dir, user), '--catalog', badCatalog]);
    expect(bad.code).toBe(1);
    const trace = bad.messages.find((m) => m.type === 'TRACE')!.trace;
    expect(trace.type).toBe('ERROR');
    expect(trace.error.message).toMatch(/^USAGE_INVALID: .*sync_mode/);
    expect(trace.error.failure_type).toBe('config_error');

    const unknown = await airbyte([
      'read',
      '--config',
      configFile(dir, user),
      '--catalog',
      catalogFile(dir, ['Nope']),
    ]);
    expect(unknown.code).toBe(1);
    const error = unknown.messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')!;
    expect(error.trace.error.message).toMatch(/^FOLDER_NOT_FOUND: /);
    expect(error.trace.error.stream_descriptor).toEqual({ name: 'Nope' });

    const wrong = { ...user, password: `${user.password}-wrong-sentinel` };
    const denied = await airbyte([
      'read',
      '--config',
      configFile(dir, wrong),
      '--catalog',
      catalogFile(dir, ['INBOX']),
    ]);
    expect(denied.code).toBe(1);
    const deniedError = denied.messages.find(
      (m) => m.type === 'TRACE' && m.trace.type === 'ERROR',
    )!;
    expect(deniedError.trace.error.message).toMatch(/^AUTH_FAILED: /);
    expect(deniedError.trace.error.failure_type).toBe('config_error');
    expect(denied.text).not.toContain(wrong.password);
    // Nothing but protocol messages on stdout, whatever happened.
    for (const m of [...bad.messages, ...unknown.messages, ...denied.messages])
      expect(['LOG', 'TRACE', 'STATE', 'RECORD']).toContain(m.type);
  });
});
