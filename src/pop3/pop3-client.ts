/**
 * A POP3 client (RFC 1939) for importing a POP3 mailbox: POP3S or STLS (RFC 2595), SASL PLAIN
 * (RFC 5034, also with an authorization identity for master users) or USER/PASS, STAT, UIDL,
 * LIST, RETR, DELE, QUIT. Every command has the connection's timeout as an absolute deadline;
 * a multi-line answer is bounded by the largest message the import accepts.
 */
import type { Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { makeError, type ConnectorError } from '../errors.js';
import { abortedError } from '../sleep.js';
import { Pop3Reader } from './pop3-reader.js';
import { openSocket, upgrade } from './pop3-socket.js';

export interface Pop3Options {
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  tls: ConnectionOptions;
  timeoutMs: number;
  /** Largest multi-line answer accepted (a message, or a UIDL listing). */
  maxResponseBytes: number;
  signal?: AbortSignal | undefined;
}

export interface Pop3Credentials {
  username: string;
  password: string;
  /** SASL PLAIN authorization identity: a master user opening this mailbox. */
  authorizationIdentity?: string | undefined;
}

/** One POP3 session. Always close() it; quit() commits deletions (the UPDATE state). */
export class Pop3Client {
  private reader: Pop3Reader;
  private capabilities = new Set<string>();
  private saslMechanisms = new Set<string>();

  private constructor(
    private socket: Socket | TLSSocket,
    private readonly options: Pop3Options,
  ) {
    this.reader = new Pop3Reader(socket, options.maxResponseBytes);
  }

  /**
   * Connects, reads the greeting, upgrades with STLS when asked, and reads CAPA.
   * @throws CONNECT_REFUSED, CONNECT_TIMEOUT, TLS_FAILED, PROTOCOL_ERROR
   */
  static async connect(options: Pop3Options): Promise<Pop3Client> {
    const socket = await openSocket(options);
    const client = new Pop3Client(socket, options);
    try {
      await client.expectOk(await client.reader.line(client.deadline('greeting')), 'greeting');
      await client.readCapabilities();
      if (options.security === 'starttls') await client.startTls();
      return client;
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  /** SASL PLAIN where the server offers it (required for an authorization identity), else USER/PASS. */
  async login(credentials: Pop3Credentials): Promise<void> {
    const authzid = credentials.authorizationIdentity;
    if (this.saslMechanisms.has('PLAIN') || authzid) {
      const token = Buffer.from(
        `${authzid ?? ''}\0${credentials.username}\0${credentials.password}`,
        'utf8',
      ).toString('base64');
      const answer = await this.command(`AUTH PLAIN ${token}`, 'AUTH PLAIN', true);
      if (!answer.startsWith('+OK')) throw authFailed(answer, authzid !== undefined);
      return;
    }
    const user = await this.command(`USER ${credentials.username}`, 'USER', true);
    if (!user.startsWith('+OK')) throw authFailed(user, false);
    const pass = await this.command(`PASS ${credentials.password}`, 'PASS', true);
    if (!pass.startsWith('+OK')) throw authFailed(pass, false);
  }

  /** Message count and total octets (STAT). */
  async stat(): Promise<{ count: number; octets: number }> {
    const answer = await this.ok('STAT');
    const match = /^\+OK (\d+) (\d+)/.exec(answer);
    if (!match) throw protocolError(`STAT answered ${JSON.stringify(answer.slice(0, 60))}`);
    return { count: Number(match[1]), octets: Number(match[2]) };
  }

  /**
   * Message number -> unique id (UIDL, RFC 1939 section 7): what later runs recognise a
   * message by. A server without UIDL cannot say which messages are new.
   */
  async uidl(): Promise<Map<number, string>> {
    const answer = await this.command('UIDL', 'UIDL');
    if (!answer.startsWith('+OK'))
      throw makeError(
        'COMMAND_REFUSED',
        'The POP3 server does not give unique message ids (UIDL), so a later run could not tell the messages it copied; it cannot be imported incrementally.',
        { details: { command: 'UIDL', response: answer.slice(0, 200) } },
      );
    const ids = new Map<number, string>();
    for (const line of await this.listing('UIDL')) {
      const match = /^(\d+) ([\x21-\x7e]{1,70})$/.exec(line);
      if (!match) throw protocolError(`UIDL listed ${JSON.stringify(line.slice(0, 80))}`);
      ids.set(Number(match[1]), match[2]!);
    }
    return ids;
  }

  /** Message number -> size in octets (LIST). */
  async sizes(): Promise<Map<number, number>> {
    await this.ok('LIST');
    const sizes = new Map<number, number>();
    for (const line of await this.listing('LIST')) {
      const match = /^(\d+) (\d+)/.exec(line);
      if (!match) throw protocolError(`LIST listed ${JSON.stringify(line.slice(0, 80))}`);
      sizes.set(Number(match[1]), Number(match[2]));
    }
    return sizes;
  }

  /**
   * One message's exact bytes (RETR), dot-stuffing undone.
   * @throws MESSAGE_UNAVAILABLE when the server refuses this message (-ERR): the session goes on.
   */
  async retrieve(number: number): Promise<Buffer> {
    const answer = await this.command(`RETR ${number}`, 'RETR');
    if (!answer.startsWith('+OK'))
      throw makeError(
        'MESSAGE_UNAVAILABLE',
        `The POP3 server refused message ${number}: ${answer.slice(0, 200)}`,
        { details: { message: number } },
      );
    return this.reader.multiline(this.deadline('RETR'));
  }

  /** Marks a message deleted; the server removes it only at QUIT. */
  async delete(number: number): Promise<void> {
    await this.ok(`DELE ${number}`);
  }

  /** QUIT: the server removes what DELE marked, and says whether it could. */
  async quit(): Promise<void> {
    const answer = await this.command('QUIT', 'QUIT');
    this.destroy();
    if (!answer.startsWith('+OK'))
      throw makeError(
        'COMMAND_REFUSED',
        `The POP3 server could not remove the deleted messages at QUIT: ${answer.slice(0, 200)}`,
      );
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async readCapabilities(): Promise<void> {
    const answer = await this.command('CAPA', 'CAPA');
    if (!answer.startsWith('+OK')) return; // RFC 1939 servers without CAPA
    this.capabilities = new Set();
    for (const line of await this.listing('CAPA')) {
      const [name, ...args] = line.trim().split(/\s+/);
      this.capabilities.add(name!.toUpperCase());
      if (name!.toUpperCase() === 'SASL')
        this.saslMechanisms = new Set(args.map((a) => a.toUpperCase()));
    }
  }

  private async startTls(): Promise<void> {
    if (!this.capabilities.has('STLS'))
      throw makeError(
        'TLS_FAILED',
        'The POP3 server does not offer STLS; use security "tls" (POP3S, port 995) or, on a trusted network only, "none".',
        { field: '/security' },
      );
    await this.ok('STLS');
    this.reader.detach();
    this.socket = await upgrade(this.socket, this.options);
    this.reader = new Pop3Reader(this.socket, this.options.maxResponseBytes);
    await this.readCapabilities();
  }

  private async ok(line: string): Promise<string> {
    const name = line.split(' ')[0]!;
    const answer = await this.command(line, name);
    await this.expectOk(answer, name);
    return answer;
  }

  private async expectOk(answer: string, what: string): Promise<void> {
    if (!answer.startsWith('+OK'))
      throw makeError(
        'COMMAND_REFUSED',
        `The POP3 server refused ${what}: ${answer.slice(0, 200)}`,
        {
          details: { command: what },
        },
      );
  }

  private listing(what: string): Promise<string[]> {
    return this.reader.lines(this.deadline(what));
  }

  /** Sends one command line; `secret`: the line is never logged or echoed. */
  private async command(line: string, name: string, _secret = false): Promise<string> {
    if (this.options.signal?.aborted) throw abortedError();
    this.socket.write(`${line}\r\n`);
    return this.reader.line(this.deadline(name));
  }

  private deadline(what: string): { until: number; what: string; signal?: AbortSignal } {
    return {
      until: Date.now() + this.options.timeoutMs,
      what,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
  }
}

function authFailed(answer: string, master: boolean): ConnectorError {
  return makeError(
    'AUTH_FAILED',
    `The POP3 server refused the login${master ? ' (master user)' : ''}: ${answer.slice(0, 200)}`,
  );
}

function protocolError(what: string): ConnectorError {
  return makeError('PROTOCOL_ERROR', `The POP3 server's answer is not POP3: ${what}.`);
}
