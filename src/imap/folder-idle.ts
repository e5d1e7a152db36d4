/**
 * One folder watched for changes on a session of its own: EXAMINE (read-only: never a \Seen
 * change), then IDLE (RFC 2177), told of every EXISTS, EXPUNGE and FETCH the server pushes.
 * The IDLE is ended and issued again every `restartMs` (servers drop an IDLE after 30 minutes,
 * RFC 2177 asks clients to re-issue it before 29), each time under the connection's timeout, so
 * a connection that died silently is noticed then at the latest. A server without IDLE is asked
 * with NOOP at the same interval. Whatever ends the session is reported once through `onFault`.
 * Where the server offers NOTIFY, the same session can be told of other folders' changes too
 * (`notify`): then it alone watches them all.
 */
import type { Config } from '../config/validate-config.js';
import { makeError, type ConnectorError } from '../errors.js';
import type { OperationOptions } from '../operation-options.js';
import { withCommandDeadline } from './command-deadline.js';
import { notifyOtherFolders } from './notify.js';
import { openSession, type Session } from './open-session.js';
import { sleep } from '../sleep.js';

export interface FolderIdleEvents {
  /** The server pushed a change of the folder: new, expunged or changed messages. */
  onChange(folder: string): void;
  /** The session ended (cut, timeout, logged out by the server): watch it anew. */
  onFault(folder: string, error: ConnectorError): void;
}

export class FolderIdle {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private faulted = false;
  /** Whether the server offers IDLE; without it the folder is asked with NOOP every restartMs. */
  idle = false;
  /** Whether NOTIFY tells this session of the `notify` folders' changes too. */
  notifying = false;

  private constructor(
    readonly folder: string,
    private readonly restartMs: number,
    private readonly events: FolderIdleEvents,
    private readonly session: Session,
  ) {}

  /**
   * Opens the session and examines the folder. Changes from then on are reported: a message
   * that arrives while the caller reads from its cursor still wakes it afterwards.
   * @throws session errors, FOLDER_NOT_FOUND.
   */
  static async open(
    config: Config,
    folder: string,
    settings: { restartMs: number; notify?: readonly string[] },
    events: FolderIdleEvents,
    options: OperationOptions,
  ): Promise<FolderIdle> {
    const session = await openSession(config, options);
    const watch = new FolderIdle(folder, settings.restartMs, events, session);
    try {
      const client = session.client;
      const changed = () => events.onChange(folder);
      client.on('exists', changed);
      client.on('expunge', changed);
      client.on('flags', changed);
      // A close the session did not ask for: a fault it may have named (a reset, a timeout),
      // else the server ended the connection.
      client.on('close', () =>
        watch.fault(
          session.fault() ??
            makeError('CONNECTION_LOST', `The server closed the connection watching ${folder}.`),
        ),
      );
      watch.idle = client.capabilities.has('IDLE');
      await withCommandDeadline(session, `EXAMINE ${JSON.stringify(folder)}`, () =>
        client.mailboxOpen(folder, { readOnly: true }),
      );
      watch.notifying = await notifyOtherFolders(session, settings.notify ?? [], changed);
    } catch (error) {
      await session.close();
      throw session.asError(error);
    }
    watch.cycle();
    return watch;
  }

  /**
   * IDLE, issued again each time it ends: by the NOOP of the restart timer, by imapflow's own
   * keepalive NOOP after `timeout` of quiet, or by the server. Where there is no IDLE (or the
   * server refuses it) only the timer's NOOP asks for changes.
   */
  private async idleLoop(): Promise<void> {
    const client = this.session.client;
    while (this.idle && !this.stopped && !this.faulted && client.usable) {
      const started = Date.now();
      if ((await client.idle().catch(() => false)) === false) this.idle = false;
      // An IDLE that ends at once again and again must not spin.
      if (Date.now() - started < 100) await sleep(100);
    }
  }

  private cycle(): void {
    const session = this.session;
    void this.idleLoop();
    const restart = (): void => {
      if (this.stopped || this.faulted) return;
      this.timer = setTimeout(() => {
        // Answered in time or the connection is dead; with IDLE, imapflow sends DONE first.
        withCommandDeadline(session, 'NOOP', () => session.client.noop()).then(restart, (error) =>
          this.fault(session.asError(error)),
        );
      }, this.restartMs);
    };
    restart();
  }

  private fault(error: ConnectorError): void {
    if (this.stopped || this.faulted) return;
    this.faulted = true;
    clearTimeout(this.timer);
    this.events.onFault(this.folder, error);
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.session.close();
  }
}
