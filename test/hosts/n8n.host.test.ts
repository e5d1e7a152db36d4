/**
 * The n8n nodes (packages/n8n-nodes-imap-connector) in a real n8n 2.40.7, installed as n8n
 * installs a community package: the npm pack tarballs in `.n8n/nodes`. A workflow made the way
 * a scheduled one is (trigger -> IMAP Connector read) run headless with `n8n execute` twice:
 * every message, then only the new ones (the cursor in the workflow's static data). The
 * credential's Test Connection through n8n's REST API (what its button calls), and a wrong
 * password as n8n's NodeOperationError with the code and the hint; no secret in n8n's files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedMail, subjects } from '../helpers/host-mail.js';
import { filesContaining } from '../helpers/hosts.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { n8nFolder, startN8n, type N8n, type N8nServer } from '../helpers/n8n.js';
import { installPacked } from '../helpers/packed-install.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const NODE = 'n8n-nodes-imap-connector.imapConnector';
const user = { name: '', password: '' };
let n8n: N8n;

function credentialData(password: string): Record<string, unknown> {
  const server = dovecot();
  return {
    server: server.host,
    port: String(server.imapPort),
    security: 'none',
    authMethod: 'password',
    username: user.name,
    password,
  };
}

function workflow(id: string, credentialId: string): Record<string, unknown> {
  return {
    id,
    name: `Mail ${id}`,
    active: false,
    settings: {},
    nodes: [
      {
        id: `${id}-start`,
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        id: `${id}-read`,
        name: 'Read new mail',
        type: NODE,
        typeVersion: 1,
        position: [220, 0],
        parameters: { operation: 'read', query: 'FOLDER INBOX ALL', mode: 'all' },
        credentials: { imapConnectorApi: { id: credentialId, name: credentialId } },
      },
      // What the workflow does after storing the rows: marks just those messages seen.
      {
        id: `${id}-ack`,
        name: 'Mark seen',
        type: NODE,
        typeVersion: 1,
        position: [440, 0],
        parameters: { operation: 'acknowledge', action: 'markSeen' },
        credentials: { imapConnectorApi: { id: credentialId, name: credentialId } },
      },
    ],
    connections: {
      Start: { main: [[{ node: 'Read new mail', type: 'main', index: 0 }]] },
      'Read new mail': { main: [[{ node: 'Mark seen', type: 'main', index: 0 }]] },
    },
  };
}

/** An active workflow: the polling trigger on the Polled folder, each message flagged $Polled. */
function polledWorkflow(): Record<string, unknown> {
  return {
    id: 'polled',
    name: 'Polled mail',
    active: false,
    settings: {},
    nodes: [
      {
        id: 'polled-trigger',
        name: 'New mail',
        type: `${NODE}Trigger`,
        typeVersion: 1,
        position: [0, 0],
        parameters: {
          pollTimes: { item: [{ mode: 'everyMinute' }] },
          query: 'FOLDER Polled ALL',
          existing: true,
        },
        credentials: { imapConnectorApi: { id: 'good', name: 'good' } },
      },
      {
        id: 'polled-flag',
        name: 'Flag',
        type: NODE,
        typeVersion: 1,
        position: [220, 0],
        parameters: { operation: 'acknowledge', action: 'flag', flags: '$Polled' },
        credentials: { imapConnectorApi: { id: 'good', name: 'good' } },
      },
    ],
    connections: { 'New mail': { main: [[{ node: 'Flag', type: 'main', index: 0 }]] } },
  };
}

/** The subjects of a folder's messages that have `flag`. */
async function flagged(folder: string, flag: string): Promise<string[]> {
  return withImapClient(user, dovecot(), async (client) => {
    const lock = await client.getMailboxLock(folder);
    try {
      const out: string[] = [];
      for await (const m of client.fetch('1:*', { envelope: true, flags: true }))
        if (m.flags?.has(flag)) out.push(m.envelope!.subject!);
      return out.sort();
    } finally {
      lock.release();
    }
  });
}

/** Probes until `done` says so or `ms` passed; the last value. */
async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface RunOutput {
  resultData: {
    runData: Record<string, { data: { main: { json: Msg }[][] } }[]>;
    error?: { name: string; message: string; description?: string; context?: Msg };
  };
}

/** The run `n8n execute --rawOutput` prints as JSON after its log lines. */
function runOf(stdout: string): RunOutput {
  const start = stdout.search(/^\{$/m);
  expect(start, stdout).toBeGreaterThanOrEqual(0);
  // It ends at the first closing brace in the first column; log lines may follow.
  const end = stdout.slice(start).search(/^\}$/m);
  return (JSON.parse(stdout.slice(start, start + end + 1)) as { data: RunOutput }).data;
}

/** The subjects of the rows the read node gave. */
function subjectsOf(stdout: string): string[] {
  const read = runOf(stdout).resultData.runData['Read new mail']![0]!;
  return read.data.main[0]!.map((item) => String(item.json.subject));
}
type Msg = Record<string, unknown>;

describe('the n8n nodes in a real n8n', () => {
  beforeAll(async () => {
    Object.assign(user, freshUser('n8n'));
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 3),
      Polled: numberedMail('Polled', 1, 2),
    });
    n8n = n8nFolder(tempDir('n8n-'));
    // As n8n installs a community package: into .n8n/nodes, beside the connector.
    await installPacked(n8n.nodesDir, 'n8n');
    const credentials = join(n8n.folder, 'credentials.json');
    writeFileSync(
      credentials,
      JSON.stringify([
        { id: 'good', name: 'good', type: 'imapConnectorApi', data: credentialData(user.password) },
        { id: 'wrong', name: 'wrong', type: 'imapConnectorApi', data: credentialData('not-it') },
      ]),
    );
    const imported = await n8n.cli(['import:credentials', `--input=${credentials}`]);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const workflows = join(n8n.folder, 'workflows.json');
    writeFileSync(
      workflows,
      JSON.stringify([
        workflow('scheduled', 'good'),
        workflow('refused', 'wrong'),
        polledWorkflow(),
      ]),
    );
    const loaded = await n8n.cli(['import:workflow', `--input=${workflows}`]);
    expect(loaded.code, loaded.stdout + loaded.stderr).toBe(0);
    const published = await n8n.cli(['publish:workflow', '--id=polled']);
    expect(published.code, published.stdout + published.stderr).toBe(0);
  }, 600_000);

  it('a scheduled-style run gives every message, the next run only the new ones', async () => {
    const first = await n8n.cli(['execute', '--id=scheduled', '--rawOutput']);
    expect(first.code, first.stderr).toBe(0);
    expect(subjectsOf(first.stdout)).toEqual(subjects('INBOX', 1, 3));
    expect(await flagged('INBOX', '\\Seen')).toEqual(subjects('INBOX', 1, 3));

    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 4, 2) });
    const second = await n8n.cli(['execute', '--id=scheduled', '--rawOutput']);
    expect(second.code, second.stderr).toBe(0);
    expect(subjectsOf(second.stdout)).toEqual(subjects('INBOX', 4, 2));
    expect(await flagged('INBOX', '\\Seen')).toEqual(subjects('INBOX', 1, 5));
  }, 300_000);

  it("a wrong password is n8n's NodeOperationError with the code and the hint", async () => {
    const refused = await n8n.cli(['execute', '--id=refused', '--rawOutput']);
    const output = refused.stdout + refused.stderr;
    expect(output).toMatch(/Execution was NOT successful/);
    const error = runOf(refused.stdout).resultData.error!;
    expect(error.name).toBe('NodeOperationError');
    expect(error.message).toMatch(/^AUTH_FAILED: /);
    // The hint is the error's description, which n8n shows under the message.
    expect(error.description).toMatch(/user name and password/);
    expect(error.context).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(output).not.toContain('not-it');
  }, 300_000);

  describe('the REST API', () => {
    let server: N8nServer;
    let cookie = '';
    const browser = 'imap-connector-host-test';
    const api = async (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'browser-id': browser, cookie },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    beforeAll(async () => {
      server = await startN8n(n8n);
      const owner = await api('POST', '/rest/owner/setup', {
        email: 'owner@example.org',
        firstName: 'Test',
        lastName: 'Owner',
        password: 'Owner-password-1',
      });
      expect(owner.status, await owner.clone().text()).toBe(200);
      cookie = (owner.headers.get('set-cookie') ?? '').split(';')[0]!;
    }, 180_000);
    afterAll(async () => {
      await server?.stop();
    });

    it("Test Connection (the credential's button) says OK, or AUTH_FAILED with the hint", async () => {
      const test = async (password: string): Promise<{ status: string; message: string }> => {
        const response = await api('POST', '/rest/credentials/test', {
          credentials: {
            id: 'good',
            name: 'good',
            type: 'imapConnectorApi',
            data: credentialData(password),
          },
        });
        expect(response.status, await response.clone().text()).toBe(200);
        return ((await response.json()) as { data: { status: string; message: string } }).data;
      };
      const ok = await test(user.password);
      expect(ok.status, ok.message).toBe('OK');
      expect(ok.message).toMatch(/folders/);
      const wrong = await test('not-it');
      expect(wrong.status).toBe('Error');
      expect(wrong.message).toMatch(/^AUTH_FAILED: /);
      expect(wrong.message).not.toContain('not-it');
    }, 120_000);

    it('the polling trigger starts the active workflow with the mail there, then with new mail only', async () => {
      // Activation polls at once: the two messages there.
      const first = await eventually(
        () => flagged('Polled', '$Polled'),
        (got) => got.length >= 2,
        60_000,
      );
      expect(first).toEqual(subjects('Polled', 1, 2));
      await seedMailbox(dovecot(), user, { Polled: numberedMail('Polled', 3, 1) });
      // The next poll (every minute) gives the new one.
      const next = await eventually(
        () => flagged('Polled', '$Polled'),
        (got) => got.length >= 3,
        130_000,
      );
      expect(next).toEqual(subjects('Polled', 1, 3));
      const filter = encodeURIComponent(JSON.stringify({ workflowId: 'polled' }));
      const runs = await api('GET', `/rest/executions?filter=${filter}`);
      expect(runs.status, await runs.clone().text()).toBe(200);
      const list = ((await runs.json()) as { data: { results: { status: string }[] } }).data
        .results;
      expect(list.map((run) => run.status)).toEqual(['success', 'success']);
    }, 240_000);

    it("the node types are loaded, and no secret is in clear in n8n's files", async () => {
      const types = await api('GET', '/types/nodes.json');
      const names = ((await types.json()) as { name: string }[]).map((type) => type.name);
      expect(names).toContain(NODE);
      expect(names).toContain('n8n-nodes-imap-connector.imapConnectorTrigger');
      expect(filesContaining(join(n8n.folder, '.n8n'), user.password)).toEqual([]);
    }, 60_000);
  });
});
