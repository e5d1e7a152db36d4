/**
 * `npm run bench -- --trace DIR`: a timeline of the UID FETCHes a connector scenario sent, and
 * where the source session had none outstanding (it waited for the client). A CPU profile says
 * what the client's thread did; this says whether the server was kept busy meanwhile.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

interface TraceLine {
  /** ms since the tracer was made */
  t: number;
  /** 'c' for a command line we sent, 's' for a tagged answer to one of ours */
  dir: 'c' | 's';
  msg: string;
}

type LogEntry = Record<string, unknown>;

/** A logger for the connector that keeps its command lines and tagged answers, with times. */
export function commandTracer(): {
  logger: Record<'debug' | 'info' | 'warn' | 'error', (entry: LogEntry) => void>;
  save: (path: string) => void;
} {
  const started = performance.now();
  const lines: TraceLine[] = [];
  const keep = (entry: LogEntry): void => {
    const src = String(entry.src ?? '');
    const msg = String(entry.msg ?? '').slice(0, 120);
    // Only UID FETCH and APPEND lines (nothing of a login) and the answers to our commands.
    const dir =
      src.endsWith(':c') && / (UID FETCH|APPEND) /.test(msg)
        ? 'c'
        : src === 'connector:s'
          ? 's'
          : undefined;
    if (!dir) return;
    lines.push({ t: Math.round((performance.now() - started) * 100) / 100, dir, msg });
  };
  return {
    logger: { debug: keep, info: keep, warn: keep, error: keep },
    save: (path) => writeFileSync(path, lines.map((line) => JSON.stringify(line)).join('\n')),
  };
}

interface Span {
  from: number;
  to: number;
  kind: string;
}

/** The time covered by at least one of the spans (pipelined commands overlap). */
function covered(spans: readonly Span[]): number {
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  let total = 0;
  let end = -Infinity;
  for (const span of sorted) {
    total += Math.max(0, span.to - Math.max(span.from, end));
    end = Math.max(end, span.to);
  }
  return total;
}

/** A command's kind: an APPEND, or a FETCH's items with the UID set and offsets left out. */
function kindOf(command: string): string {
  if (/^\S+ APPEND /.test(command)) return 'APPEND';
  const items = command.replace(/^\S+ UID FETCH \S+ /, '');
  return items.replace(/<\d+\.(\d+)>/g, (_, length: string) =>
    length === '2' ? '<end>' : '<part>',
  );
}

/**
 * From a saved trace: how long the UID FETCHes were outstanding, and the gaps between one's
 * answer and the next one's command (the source idle), summed by the pair of kinds around them.
 */
export function sourceGaps(path: string): string[] {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((text) => JSON.parse(text) as TraceLine);
  const sent = new Map<string, { t: number; kind: string }>();
  const fetches: Span[] = [];
  const appends: Span[] = [];
  for (const line of lines) {
    const tag = line.msg.split(' ')[0]!;
    if (line.dir === 'c') sent.set(tag, { t: line.t, kind: kindOf(line.msg) });
    const open = sent.get(tag);
    if (line.dir === 's' && open) {
      sent.delete(tag);
      const span = { from: open.t, to: line.t, kind: open.kind };
      (open.kind.startsWith('APPEND') ? appends : fetches).push(span);
    }
  }
  if (fetches.length === 0) return ['no UID FETCH answered in the trace'];
  fetches.sort((a, b) => a.from - b.from);
  const window = fetches.at(-1)!.to - fetches[0]!.from;
  const outstanding = fetches.reduce((sum, f) => sum + (f.to - f.from), 0);
  const gaps = new Map<string, { count: number; ms: number }>();
  for (let i = 1; i < fetches.length; i++) {
    const gap = fetches[i]!.from - fetches[i - 1]!.to;
    if (gap <= 0) continue;
    const key = `${fetches[i - 1]!.kind} -> ${fetches[i]!.kind}`;
    const sum = gaps.get(key) ?? { count: 0, ms: 0 };
    gaps.set(key, { count: sum.count + 1, ms: sum.ms + gap });
  }
  const ms = (value: number): string => `${Math.round(value)} ms`;
  const appended = appends.length === 0 ? 0 : appends.at(-1)!.to - appends[0]!.from;
  const destination =
    appends.length === 0
      ? []
      : [
          `${appends.length} APPENDs over ${ms(appended)}, ` +
            `one or more outstanding ${ms(covered(appends))}`,
        ];
  return [
    ...destination,
    `${fetches.length} UID FETCHes over ${ms(window)}, outstanding ${ms(outstanding)}; ` +
      'the source idle between them:',
    ...[...gaps]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 8)
      .map(([key, sum]) => `  ${ms(sum.ms)} in ${sum.count} gaps: ${key}`),
  ];
}
