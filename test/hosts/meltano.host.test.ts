/**
 * The Singer tap inside Meltano: a new Meltano project with the custom extractor entry the
 * connector prints (`singer --meltano-yml`, settings generated from the manifest) and
 * target-jsonl as loader. `meltano run tap-imap-connector target-jsonl` writes the mailbox's
 * rows; after new mail a second run writes only the new ones, from the state Meltano kept. With
 * the changes setting, a flag change comes as the row again and an expunge with _sdc_deleted_at.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { numberedMail, subjects } from '../helpers/host-mail.js';
import {
  connectorExecutable,
  filesContaining,
  hostBin,
  runHost,
  type Run,
} from '../helpers/hosts.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const SHIPPED = new URL('../../packages/meltano/meltano.yml', import.meta.url);

function rowsIn(dir: string): Record<string, { subject: string; uid: number; folder: string }[]> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => [
        name.replace(/\.jsonl$/, ''),
        readFileSync(join(dir, name), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { subject: string; uid: number; folder: string }),
      ]),
  );
}

describe('the Singer tap in Meltano', () => {
  it('meltano run writes the mailbox, then only new mail; state kept by Meltano; no secret in the project', async () => {
    const dir = tempDir('meltano-');
    const user = freshUser('mt');
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 5),
      Archive: numberedMail('Archive', 1, 2),
      // target-jsonl writes <stream>.jsonl: a nested or non-Latin folder's name cannot be that.
      'Archive/2023': numberedMail('Nested', 1, 2),
      日本語: numberedMail('Kanji', 1, 1),
    });
    const meltano = join(hostBin('meltano'), 'meltano');
    const env = { MELTANO_SEND_ANONYMOUS_USAGE_STATS: 'false', NO_COLOR: '1' };
    const check = (run: Run, what: string): Run => {
      if (run.code !== 0)
        throw new Error(`${what} failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
      return run;
    };
    check(
      await runHost(meltano, ['init', 'project', '--no-usage-stats'], { cwd: dir, env }),
      'meltano init',
    );
    const project = join(dir, 'project');

    // The project file the repository ships (packages/meltano/meltano.yml, generated from the
    // manifest), but for where the two executables are: here the connector is not installed
    // globally, and target-jsonl comes from the venv made once instead of a pip install per run.
    const shipped = parse(readFileSync(SHIPPED, 'utf8')) as {
      plugins: { extractors: Record<string, unknown>[]; loaders: Record<string, unknown>[] };
      jobs: { name: string; tasks: string[] }[];
    };
    const extractor = shipped.plugins.extractors[0]!;
    expect(extractor.executable).toBe('imap-connector-singer');
    extractor.executable = connectorExecutable(dir, 'singer');
    const loader = shipped.plugins.loaders[0]!;
    delete loader.pip_url;
    loader.executable = join(hostBin('target-jsonl'), 'target-jsonl');
    const meltanoYml = parse(readFileSync(join(project, 'meltano.yml'), 'utf8')) as Record<
      string,
      unknown
    >;
    meltanoYml.plugins = shipped.plugins;
    meltanoYml.jobs = shipped.jobs;
    writeFileSync(join(project, 'meltano.yml'), stringify(meltanoYml));

    // Settings the way a Meltano user gives secrets: environment variables, never meltano.yml.
    const server = dovecot();
    // The README's steps: settings with meltano config set (a secret would go to .env), and a
    // schedule; the password here from the environment.
    check(
      await runHost(meltano, ['config', 'set', 'tap-imap-connector', 'server', server.host], {
        cwd: project,
        env,
      }),
      'meltano config set',
    );
    check(
      await runHost(
        meltano,
        ['schedule', 'add', 'imap-hourly', '--job', 'imap-to-jsonl', '--interval', '@hourly'],
        { cwd: project, env },
      ),
      'meltano schedule add',
    );
    const projectYml = readFileSync(join(project, 'meltano.yml'), 'utf8');
    expect(projectYml).toMatch(/server: 127\.0\.0\.1/);
    expect(projectYml).toMatch(/name: imap-hourly/);
    const tapEnv = {
      ...env,
      TAP_IMAP_CONNECTOR_PORT: String(server.imapPort),
      TAP_IMAP_CONNECTOR_SECURITY: 'none',
      TAP_IMAP_CONNECTOR_USERNAME: user.name,
      TAP_IMAP_CONNECTOR_PASSWORD: user.password,
      TAP_IMAP_CONNECTOR_MAXQUEUEDEPTH: '2',
    };
    const run = async (out: string, settings: Record<string, string> = {}): Promise<Run> => {
      mkdirSync(join(project, out));
      return check(
        await runHost(meltano, ['run', 'imap-to-jsonl'], {
          cwd: project,
          env: { ...tapEnv, ...settings, TARGET_JSONL_DESTINATION_PATH: out },
        }),
        'meltano run',
      );
    };
    // Meltano's own check of a plugin's settings runs the tap until its first record.
    const tested = await runHost(meltano, ['config', 'test', 'tap-imap-connector'], {
      cwd: project,
      env: tapEnv,
    });
    expect(tested.stdout + tested.stderr).toContain('Plugin configuration is valid');
    const wrong = `${user.password}-wrong-sentinel`;
    const refused = await runHost(meltano, ['config', 'test', 'tap-imap-connector'], {
      cwd: project,
      env: { ...tapEnv, TAP_IMAP_CONNECTOR_PASSWORD: wrong },
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('Plugin configuration is invalid');
    expect(refused.stdout + refused.stderr).not.toContain(wrong);

    const first = await run('out1');
    const rows1 = rowsIn(join(project, 'out1'));
    expect(rows1.INBOX!.map((r) => r.subject)).toEqual(subjects('INBOX', 1, 5));
    expect(rows1.Archive!.map((r) => r.subject)).toEqual(subjects('Archive', 1, 2));
    const shaped = (rows: ReturnType<typeof rowsIn>, folder: string) =>
      Object.entries(rows).find(([, list]) => list[0]?.folder === folder);
    const [nestedStream, nested] = shaped(rows1, 'Archive/2023')!;
    expect(nestedStream).toMatch(/^Archive_2023_[0-9a-f]{8}$/);
    expect(nested.map((r) => r.subject)).toEqual(subjects('Nested', 1, 2));
    expect(shaped(rows1, '日本語')![1].map((r) => r.subject)).toEqual(subjects('Kanji', 1, 1));

    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 6, 3) });
    const second = await run('out2');
    const rows2 = rowsIn(join(project, 'out2'));
    expect(rows2.INBOX!.map((r) => r.subject)).toEqual(subjects('INBOX', 6, 3));
    expect(rows2.Archive ?? []).toEqual([]);
    expect(rows2[nestedStream] ?? []).toEqual([]);

    const state = check(
      await runHost(meltano, ['state', 'get', 'dev:tap-imap-connector-to-target-jsonl'], {
        cwd: project,
        env,
      }),
      'meltano state get',
    );
    expect(state.stdout).toMatch(/"INBOX":\s*\{[^}]*"lastUid":\s*8/);

    // The change feed, switched on in the settings: its first run sets the baseline, the next
    // brings a flag change as the whole row again and an expunge with _sdc_deleted_at.
    const changes = { TAP_IMAP_CONNECTOR_CHANGES: 'true' };
    await run('out3', changes);
    await withImapClient(user, dovecot(), async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd({ subject: 'INBOX 1' }, ['\\Flagged']);
      await client.messageDelete({ subject: 'INBOX 2' });
    });
    await run('out4', changes);
    const rows4 = rowsIn(join(project, 'out4')).INBOX as unknown as Record<string, unknown>[];
    const inbox1 = rows1.INBOX! as unknown as Record<string, unknown>[];
    expect(rows4.map((r) => [r.op, r.id, r._sdc_deleted_at === null])).toEqual([
      ['delete', inbox1[1]!.id, false],
      ['update', inbox1[0]!.id, true],
    ]);
    expect(rows4[1]!.flags).toContain('\\Flagged');

    expect(filesContaining(project, user.password)).toEqual([]);
    expect(
      first.stdout + first.stderr + second.stdout + second.stderr + state.stdout,
    ).not.toContain(user.password);
  });
});
