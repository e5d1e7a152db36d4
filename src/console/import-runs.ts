/**
 * A console import's runs, in its folder: runs.json (each run's status, times, totals and
 * error) and each ended run's whole result as run-N.json. Owner-only files.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectorErrorJson } from '../errors.js';
import type { ImportResult, ImportTotals } from '../import/import-result.js';

const FILE_MODE = { mode: 0o600 };

export interface ImportRun {
  id: number;
  status: 'running' | 'done' | 'failed' | 'stopped';
  startedAt: string;
  endedAt?: string;
  totals?: ImportTotals;
  error?: ConnectorErrorJson;
}

export class ImportRuns {
  constructor(private readonly folder: string) {}

  list(): ImportRun[] {
    const path = join(this.folder, 'runs.json');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ImportRun[]) : [];
  }

  /** Records a run (replacing its earlier record) and, once it has ended, its result. */
  save(run: ImportRun, result?: ImportResult): void {
    const runs = this.list().filter((r) => r.id !== run.id);
    runs.push(run);
    const text = JSON.stringify(runs, null, 2) + '\n';
    writeFileSync(join(this.folder, 'runs.json'), text, FILE_MODE);
    if (result)
      writeFileSync(
        join(this.folder, `run-${run.id}.json`),
        JSON.stringify(result, null, 2) + '\n',
        FILE_MODE,
      );
  }

  result(runId: number): ImportResult | undefined {
    const path = join(this.folder, `run-${runId}.json`);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ImportResult) : undefined;
  }
}
