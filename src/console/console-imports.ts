/**
 * Single imports in the console (issue 28): one mailbox, from a saved connection into the
 * embedded archive or another saved connection, what `imap-connector import --state` does.
 * Each in `<dataDir>/imports/NAME/`: its definition (import.json: names of saved connections,
 * never a secret), its state (the archive itself, or import.state for an IMAP destination)
 * and its runs (runs.json, and each run's result as run-N.json). Run again, it copies only
 * what is new; stopped, the next run goes on from its state.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, isConnectorError, makeError, type ConnectorErrorJson } from '../errors.js';
import { runImport } from '../import/import-job.js';
import {
  partialImportResult,
  type FolderImportResult,
  type ImportResult,
} from '../import/import-result.js';
import type { ConnectionProfiles } from './connection-profiles.js';
import { isStoredName, notFound, storedName } from './console-errors.js';
import { checkDefinition, type ImportDefinition } from './import-definition.js';
import { ImportRuns, type ImportRun } from './import-runs.js';

const FILE_MODE = { mode: 0o600 };

interface Running {
  controller: AbortController;
  done: Promise<void>;
  folders: Map<string, FolderImportResult>;
}

export class ConsoleImports {
  private readonly dir: string;
  private readonly running = new Map<string, Running>();

  constructor(
    dataDir: string,
    private readonly connections: ConnectionProfiles,
  ) {
    this.dir = join(dataDir, 'imports');
  }

  private folderOf(name: string): string {
    storedName(name, 'an import');
    return join(this.dir, name);
  }

  names(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter(
      (name) => isStoredName(name) && existsSync(join(this.dir, name, 'import.json')),
    );
  }

  /** The import's archive, when it imports into one (for the Archive page). */
  archivePath(name: string): string | undefined {
    const path = join(this.folderOf(name), 'mail.archive');
    return existsSync(path) ? path : undefined;
  }

  private definition(name: string): ImportDefinition {
    const path = join(this.folderOf(name), 'import.json');
    if (!existsSync(path)) throw notFound('import');
    return JSON.parse(readFileSync(path, 'utf8')) as ImportDefinition;
  }

  /**
   * Saves a new import after checking what can be checked without a server: the name, that
   * the connections are saved ones, the query's syntax (with its line and column).
   */
  create(definition: ImportDefinition): void {
    const folder = this.folderOf(definition.name);
    checkDefinition(definition, (name) => this.connections.get(name) !== undefined);
    if (existsSync(join(folder, 'import.json')))
      throw new ConfigError([
        { field: '/name', message: `an import named ${definition.name} exists already` },
      ]);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(folder, 'import.json'),
      JSON.stringify(definition, null, 2) + '\n',
      FILE_MODE,
    );
  }

  /** The source and spec of a run, with the saved connections' secrets (never shown). */
  private importOf(name: string): { source: unknown; spec: unknown } {
    const definition = this.definition(name);
    const connection = (saved: string, field: string) => {
      const config = this.connections.withSecrets(saved);
      if (!config)
        throw new ConfigError([{ field, message: `the saved connection ${saved} is gone` }]);
      return config;
    };
    const folder = this.folderOf(name);
    const destination =
      'connection' in definition.destination
        ? {
            connection: {
              ...connection(definition.destination.connection, '/destination'),
              isTarget: true,
            },
            state: join(folder, 'import.state'),
          }
        : { archive: join(folder, 'mail.archive') };
    return {
      source: connection(definition.source, '/source'),
      spec: { destination, ...(definition.query ? { query: definition.query } : {}) },
    };
  }

  /** Starts a run in the background. @throws JOB_BUSY when one is running already. */
  start(name: string): void {
    if (this.running.has(name))
      throw makeError('JOB_BUSY', `The import ${name} is running already.`, { field: '/name' });
    const { source, spec } = this.importOf(name);
    const previous = new ImportRuns(this.folderOf(name)).list().at(-1)?.id ?? 0;
    const run: ImportRun = {
      id: previous + 1,
      status: 'running',
      startedAt: new Date().toISOString(),
    };
    new ImportRuns(this.folderOf(name)).save(run);
    const entry: Running = {
      controller: new AbortController(),
      done: Promise.resolve(),
      folders: new Map(),
    };
    entry.done = runImport(source, spec, {
      signal: entry.controller.signal,
      onProgress: (folder) => entry.folders.set(folder.folder, { ...folder }),
    }).then(
      (result) => this.ended(name, run, result.totals.failed > 0 ? 'failed' : 'done', result),
      (error: unknown) => {
        const stopped = isConnectorError(error) && error.code === 'ABORTED';
        const shown = isConnectorError(error)
          ? error.toJSON()
          : makeError('INTERNAL', `The import failed: ${(error as Error)?.message}`).toJSON();
        this.ended(name, run, stopped ? 'stopped' : 'failed', partialImportResult(error), shown);
      },
    );
    this.running.set(name, entry);
    void entry.done.finally(() => this.running.delete(name));
  }

  private ended(
    name: string,
    run: ImportRun,
    status: ImportRun['status'],
    result: ImportResult | undefined,
    error?: ConnectorErrorJson,
  ): void {
    // A stop is no error to show: the next run goes on from the state.
    const shown = status === 'stopped' ? undefined : error;
    const { details: _details, ...withoutResult } = shown ?? ({} as ConnectorErrorJson);
    new ImportRuns(this.folderOf(name)).save(
      {
        ...run,
        status,
        endedAt: new Date().toISOString(),
        ...(result ? { totals: result.totals } : {}),
        ...(shown ? { error: withoutResult as ConnectorErrorJson } : {}),
      },
      result,
    );
  }

  /** Stops a running import after its current step, its state saved. */
  async stop(name: string): Promise<boolean> {
    const entry = this.running.get(name);
    if (!entry) return false;
    entry.controller.abort();
    await entry.done;
    return true;
  }

  status(name: string): {
    name: string;
    definition: ImportDefinition;
    running: boolean;
    /** The running run's folders so far (copied, duplicates, failed per folder). */
    folders: FolderImportResult[];
    runs: ImportRun[];
  } {
    const definition = this.definition(name);
    const live = this.running.get(name);
    // A run recorded as running that no process of this console holds was cut off (the
    // console stopped, or died): it is shown as stopped, and the next run continues it.
    const runs = new ImportRuns(this.folderOf(name))
      .list()
      .map((run) =>
        run.status === 'running' && !live ? { ...run, status: 'stopped' as const } : run,
      );
    return {
      name,
      definition,
      running: live !== undefined,
      folders: live ? [...live.folders.values()] : [],
      runs,
    };
  }

  /** A run's whole result: per folder, with each failed message and why. */
  result(name: string, runId: number): ImportResult | undefined {
    return new ImportRuns(this.folderOf(name)).result(runId);
  }

  /** Removes an import with its state, runs and archive; never while it runs. */
  remove(name: string): void {
    this.definition(name);
    if (this.running.has(name))
      throw makeError('JOB_BUSY', `The import ${name} is running: stop it before deleting it.`, {
        field: '/name',
      });
    rmSync(this.folderOf(name), { recursive: true, force: true });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }
}
