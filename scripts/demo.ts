/**
 * The main job, for a newcomer: `npm run demo`.
 * With no server given it starts the private Dovecot from test/helpers with sample mail and
 * runs the connector against it; with `-- --config FILE` (or any test-connection flags) it
 * runs against that server instead. Later issues extend the flow (query, read, import).
 */
import { main } from '../src/cli/main.js';
import { startDovecot } from '../test/helpers/dovecot.js';
import { eml } from '../test/helpers/fixtures.js';
import { seedMailbox } from '../test/helpers/seed.js';

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
const DEMO_USER = { name: 'demo', password: 'demo-password' };

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

async function runAgainstLocalDovecot(): Promise<number> {
  step('Starting a private Dovecot on 127.0.0.1 with sample mail');
  const server = await startDovecot({ users: [DEMO_USER] });
  try {
    process.stdout.write(`imap ${server.host}:${server.imapPort} (STARTTLS), imaps ${server.host}:${server.imapsPort}, pid ${server.pid}\n`);
    await seedMailbox(server, DEMO_USER, {
      INBOX: [{ source: eml('plain.eml') }, { source: eml('multipart-alternative.eml'), flags: ['\\Seen'] }, { source: eml('attachment.eml') }, { source: eml('no-date-no-id.eml') }],
      Sent: [{ source: eml('sent-reply.eml'), flags: ['\\Seen'] }],
      'Überweisungen': [{ source: eml('multipart-alternative.eml') }],
    });
    const tls = ['--server', `imaps://${server.host}:${server.imapsPort}`, '--username', DEMO_USER.name];
    const env = { ...process.env, IMAP_PASSWORD: DEMO_USER.password };

    step('test-connection over TLS, trusting the demo certificate with --ca-file');
    const ok = await main(['test-connection', ...tls, '--ca-file', server.caFile], { ...io, env });

    step('The same without --ca-file: certificates are verified, so this must fail with TLS_FAILED');
    const refused = await main(['test-connection', ...tls], { ...io, env });

    step(`Master user "${server.master.name}" opens the demo mailbox (SASL PLAIN authorization identity)`);
    const master = await main(['test-connection', ...tls, '--ca-file', server.caFile, '--auth-method', 'masterUser', '--username', server.master.name, '--authorization-identity', DEMO_USER.name], { ...io, env: { ...process.env, IMAP_PASSWORD: server.master.password } });

    const expected = ok === 0 && refused === 4 && master === 0;
    step(expected ? 'Demo finished: every step gave the expected result' : 'Demo FAILED: a step did not give the expected result');
    return expected ? 0 : 1;
  } finally {
    await server.stop();
  }
}

const args = process.argv.slice(2);
const run = args.length > 0 ? main(['test-connection', ...args], io) : runAgainstLocalDovecot();
run.then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
