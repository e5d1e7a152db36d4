/**
 * The CLI's import into an account holds V8's young generation at its size (young-generation.ts).
 * The hold is a V8 flag set at run time, which a worker thread resets and a newer Node could
 * ignore: nothing else would notice, the import would only hold more memory. So the real
 * process is run, and a preloaded probe grows the heap after the import and reports how big
 * the young generation got. `grow` is the control that shows the probe can see it grow.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cliImportArgs } from '../helpers/cli.js';
import { configFor, dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const MB = 1024 * 1024;

/** At exit: objects that live through a few scavenges, then the young generation's size. */
const PROBE = `
const v8 = require('node:v8');
process.on('exit', () => {
  let kept = [];
  for (let i = 0; i < 3e6; i++) {
    kept.push({ i, text: 'x' + i });
    if (kept.length > 20000) kept = [];
  }
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  require('node:fs').writeFileSync(process.env.PROBE_OUT, String(young.space_size));
});
`;

type User = { name: string; password: string };

async function importJob(): Promise<{ dir: string; source: User; target: User }> {
  const dir = tempDir();
  const source = freshUser('yg');
  const target = freshUser('ygt');
  await seedMailbox(dovecot(), source, {
    INBOX: [1, 2, 3].map((n) => ({
      source: `Message-ID: <yg-${n}@example.test>\r\nSubject: ${n}\r\n\r\nbody ${n}\r\n`,
    })),
  });
  writeFileSync(join(dir, 'source.json'), JSON.stringify(makeConfig(source)));
  writeFileSync(
    join(dir, 'target.json'),
    JSON.stringify({ ...makeConfig(target), isTarget: true }),
  );
  writeFileSync(join(dir, 'probe.cjs'), PROBE);
  return { dir, source, target };
}

function runProbed(dir: string, args: string[], env: Record<string, string> = {}) {
  const out = join(dir, `young-${Math.random()}`);
  const run = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      NODE_OPTIONS: `--require ${join(dir, 'probe.cjs')}`,
      PROBE_OUT: out,
      ...env,
    },
  });
  return { ...run, youngBytes: () => Number(readFileSync(out, 'utf8')) };
}

describe('the young generation of an import into an account', () => {
  it('stays at its size for the whole run; with grow, V8 grows it as usual', async () => {
    const { dir, source, target } = await importJob();
    const held = runProbed(dir, cliImportArgs(dir));
    expect(held.stderr).toBe('');
    expect(held.status).toBe(0);
    // 2 MB on Node 20; Node 24's scavenger still adds a few pages now and then (5-10 MB seen).
    expect(held.youngBytes()).toBeLessThan(16 * MB);
    // The copy itself is whole: the three messages, once.
    expect((await snapshot(target)).INBOX).toEqual((await snapshot(source)).INBOX);

    const grown = runProbed(dir, cliImportArgs(dir), { IMAP_CONNECTOR_YOUNG_GENERATION: 'grow' });
    expect(grown.status).toBe(0);
    // 32 MB on Node 20, 64 on Node 24.
    expect(grown.youngBytes()).toBeGreaterThanOrEqual(32 * MB);
  });

  it('refuses a value it does not know, naming the variable, before connecting', () => {
    const dir = tempDir();
    // Port 1: a connection would fail with CONNECTION_*, not a usage error.
    const nowhere = configFor({ host: '127.0.0.1', imapPort: 1 }, { name: 'u', password: 'p' });
    writeFileSync(join(dir, 'source.json'), JSON.stringify(nowhere));
    writeFileSync(join(dir, 'target.json'), JSON.stringify({ ...nowhere, isTarget: true }));
    const run = spawnSync(process.execPath, [CLI, ...cliImportArgs(dir)], {
      encoding: 'utf8',
      env: { ...process.env, IMAP_CONNECTOR_YOUNG_GENERATION: 'small' },
    });
    expect(run.stderr).toContain('IMAP_CONNECTOR_YOUNG_GENERATION must be hold');
    expect(run.stderr).toContain('"small"');
    expect(run.status).toBe(2);
  });
});
