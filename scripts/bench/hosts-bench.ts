/**
 * npm run bench:hosts [-- --messages 10000 --runs 3 --out FILE]   (on Node 22.9+: Node-RED 5)
 *
 * A first sync of the bench mailbox (envelope rows of every message in its three folders) by
 * each host adapter, next to `imap-connector read --all` in the same run: the adapter's own cost
 * is the difference. Hosts: the Airbyte source alone and inside PyAirbyte (into its DuckDB cache),
 * the Singer tap alone and inside `meltano run` (into target-jsonl), and Node-RED (the read node
 * in the Node-RED runtime, one message per page). Medians of --runs; every run's row count is
 * checked. The Python hosts come from scripts/install-hosts.sh.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '../script-args.js';
import { parse, stringify } from 'yaml';
import { startDovecot, type DovecotServer } from '../../test/helpers/dovecot.js';
import { connectorExecutable, hostBin } from '../../test/helpers/hosts.js';
import { requireFromPackage, NODE_RED_PACKAGE } from '../../test/helpers/node-red-package.js';
import { seedDovecotUser } from './seed-maildir.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const USER = { name: 'bench', password: 'bench-password' };

/** Runs a program; resolves with how many stdout lines matched `count` (all lines when omitted). */
function run(
  program: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; count?: RegExp } = {},
): Promise<{ lines: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let rest = '';
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const line of parts) if (!options.count || options.count.test(line)) lines++;
      tail = (tail + chunk.toString()).slice(-4000);
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve({ lines, stdout: tail })
        : reject(new Error(`${program} ${args.join(' ')} exited ${code}:\n${errors}\n${tail}`)),
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Scenario {
  name: string;
  /** Runs one first sync; resolves to the rows it delivered. */
  sync(work: string): Promise<number>;
}

function scenarios(server: DovecotServer, messages: number): Scenario[] {
  const connection = { server: server.host, port: server.imapPort, security: 'none' };
  const flat = { ...connection, username: USER.name, password: USER.password };
  const airbyteConfig = {
    ...connection,
    authentication: { authMethod: 'password', username: USER.name, password: USER.password },
  };
  const folders = ['INBOX', 'Archive', 'Sent'];
  return [
    {
      name: 'read --all (CLI)',
      sync: async (work) => {
        const out = join(work, 'rows.ndjson');
        await run(
          process.execPath,
          [
            CLI,
            'read',
            '--server',
            server.host,
            '--port',
            String(server.imapPort),
            '--security',
            'none',
            '--username',
            USER.name,
            '--query',
            'ALL',
            '--all',
            '--out',
            out,
          ],
          { env: { IMAP_PASSWORD: USER.password } },
        );
        return readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
      },
    },
    {
      name: 'Airbyte source (imap-connector-airbyte read)',
      sync: async (work) => {
        writeFileSync(join(work, 'config.json'), JSON.stringify(airbyteConfig));
        const catalog = {
          streams: folders.map((name) => ({
            stream: { name, json_schema: {}, supported_sync_modes: ['incremental'] },
            sync_mode: 'incremental',
            destination_sync_mode: 'append',
          })),
        };
        writeFileSync(join(work, 'catalog.json'), JSON.stringify(catalog));
        const result = await run(
          connectorExecutable(work, 'airbyte'),
          ['read', '--config', join(work, 'config.json'), '--catalog', join(work, 'catalog.json')],
          { count: /^\{"type":"RECORD"/ },
        );
        return result.lines;
      },
    },
    {
      name: 'PyAirbyte (read into its DuckDB cache)',
      sync: async (work) => {
        writeFileSync(join(work, 'config.json'), JSON.stringify(airbyteConfig));
        const result = await run(
          join(hostBin('airbyte'), 'python'),
          [
            join(ROOT, 'test/hosts/pyairbyte_sync.py'),
            connectorExecutable(work, 'airbyte'),
            join(work, 'config.json'),
            work,
          ],
          { env: { PYAIRBYTE_BENCH: '1' } },
        );
        const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '))!;
        return (JSON.parse(line.slice(7)) as { processed: number }).processed;
      },
    },
    {
      name: 'Singer tap (imap-connector-singer)',
      sync: async (work) => {
        writeFileSync(join(work, 'config.json'), JSON.stringify(flat));
        const result = await run(
          connectorExecutable(work, 'singer'),
          ['--config', join(work, 'config.json')],
          {
            count: /^\{"type":"RECORD"/,
          },
        );
        return result.lines;
      },
    },
    {
      name: 'Meltano (meltano run tap target-jsonl)',
      sync: async (work) => {
        const meltano = join(hostBin('meltano'), 'meltano');
        const env = { MELTANO_SEND_ANONYMOUS_USAGE_STATS: 'false' };
        await run(meltano, ['init', 'project', '--no-usage-stats'], { cwd: work, env });
        const project = join(work, 'project');
        const shipped = parse(readFileSync(join(ROOT, 'packages/meltano/meltano.yml'), 'utf8')) as {
          plugins: { extractors: Record<string, unknown>[]; loaders: Record<string, unknown>[] };
        };
        shipped.plugins.extractors[0]!.executable = connectorExecutable(work, 'singer');
        delete shipped.plugins.loaders[0]!.pip_url;
        shipped.plugins.loaders[0]!.executable = join(hostBin('target-jsonl'), 'target-jsonl');
        const yml = parse(readFileSync(join(project, 'meltano.yml'), 'utf8')) as Record<
          string,
          unknown
        >;
        writeFileSync(
          join(project, 'meltano.yml'),
          stringify({ ...yml, plugins: shipped.plugins }),
        );
        mkdirSync(join(project, 'output'), { recursive: true });
        await run(meltano, ['run', 'tap-imap-connector', 'target-jsonl'], {
          cwd: project,
          env: {
            ...env,
            TAP_IMAP_CONNECTOR_SERVER: server.host,
            TAP_IMAP_CONNECTOR_PORT: String(server.imapPort),
            TAP_IMAP_CONNECTOR_SECURITY: 'none',
            TAP_IMAP_CONNECTOR_USERNAME: USER.name,
            TAP_IMAP_CONNECTOR_PASSWORD: USER.password,
          },
        });
        // Meltano puts a .gitignore into the output directory too.
        return readdirSync(join(project, 'output'))
          .filter((name) => name.endsWith('.jsonl'))
          .reduce(
            (sum, name) =>
              sum +
              readFileSync(join(project, 'output', name), 'utf8')
                .split('\n')
                .filter(Boolean).length,
            0,
          );
      },
    },
    {
      name: 'Node-RED (imap read in the runtime, a message per page)',
      sync: () => nodeRedSync(server, messages),
    },
  ];
}

/** The read node in the Node-RED runtime (node-red-node-test-helper): time until every row arrived. */
async function nodeRedSync(server: DovecotServer, expected: number): Promise<number> {
  const require = requireFromPackage();
  const helper = require('node-red-node-test-helper');
  helper.init(require.resolve('node-red'));
  const nodes = ['imap-connection', 'imap-read'].map((name) =>
    require(`${NODE_RED_PACKAGE}nodes/${name}.js`),
  );
  await new Promise<void>((resolve) => helper.startServer(resolve));
  try {
    await helper.load(
      nodes,
      [
        { id: 'tab', type: 'tab' },
        {
          id: 'conn',
          type: 'imap-connection',
          server: server.host,
          port: String(server.imapPort),
          security: 'none',
          authMethod: 'password',
          username: USER.name,
        },
        {
          id: 'read',
          z: 'tab',
          type: 'imap-read',
          connection: 'conn',
          query: 'ALL',
          mode: 'all',
          output: 'page',
          wires: [['out']],
        },
        { id: 'out', z: 'tab', type: 'helper' },
      ],
      { conn: { password: USER.password } },
    );
    let rows = 0;
    const finished = new Promise<void>((resolve, reject) => {
      helper.getNode('out').on('input', (msg: { payload: unknown[] }) => {
        rows += msg.payload.length;
        if (rows >= expected) resolve();
      });
      helper
        .getNode('read')
        .on('call:error', (call: { args: unknown[] }) => reject(new Error(String(call.args[0]))));
    });
    helper.getNode('read').receive({});
    await finished;
    return rows;
  } finally {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  }
}

async function main(): Promise<void> {
  const args = scriptArgs(
    'npm run bench:hosts [-- --messages 10000 --runs 3 --only NAMES --out FILE]',
    {
      messages: { type: 'string' },
      runs: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
    },
  );
  const values = args.values;
  const messages = args.count('messages', 10_000);
  const runs = args.count('runs', 3);
  const server = await startDovecot({ users: [USER], parentDir: '/dev/shm' });
  const work = mkdtempSync('/tmp/imap-connector-hosts-bench-');
  try {
    const { bytes } = seedDovecotUser(server, USER.name, messages);
    console.log(
      `${messages} messages, ${(bytes / 1e6).toFixed(0)} MB; Node ${process.version}, ${cpus().length} cores`,
    );
    const results: Record<string, { medianSeconds: number; runs: number[]; rows: number }> = {};
    for (const scenario of scenarios(server, messages)) {
      if (values.only && !scenario.name.toLowerCase().includes(values.only.toLowerCase())) continue;
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < runs; i++) {
        const dir = mkdtempSync(join(work, 'run-'));
        const started = performance.now();
        rows = await scenario.sync(dir);
        times.push((performance.now() - started) / 1000);
        if (rows !== messages) throw new Error(`${scenario.name}: ${rows} rows of ${messages}`);
      }
      results[scenario.name] = { medianSeconds: median(times), runs: times, rows };
      console.log(
        `${scenario.name.padEnd(58)} ${median(times).toFixed(2)} s  (${times.map((t) => t.toFixed(2)).join(', ')})`,
      );
    }
    const base = Object.values(results)[0]?.medianSeconds;
    if (base)
      for (const [name, result] of Object.entries(results))
        console.log(`${name.padEnd(58)} ${(result.medianSeconds / base).toFixed(2)}x read --all`);
    if (values.out)
      writeFileSync(
        values.out,
        JSON.stringify({ messages, bytes, node: process.version, results }, null, 2) + '\n',
      );
  } finally {
    await server.stop();
  }
}

await main();
