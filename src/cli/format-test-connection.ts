import type { TestConnectionResult } from '../imap/test-connection.js';

const LABEL_WIDTH = 14;

function line(label: string, value: string): string {
  return `  ${label.padEnd(LABEL_WIDTH)}${value}`;
}

function issueLines(result: TestConnectionResult): string[] {
  const issues = result.error?.details?.issues;
  if (!Array.isArray(issues)) return result.error?.field ? [line('field', result.error.field)] : [];
  return issues.map(
    (issue: { field: string; message: string }) => `  - ${issue.field}: ${issue.message}`,
  );
}

/** Human-readable test-connection result for a terminal. */
export function formatTestConnection(result: TestConnectionResult): string {
  if (!result.ok) {
    const lines = [`FAILED  ${result.code}  ${result.message}`, ...issueLines(result)];
    if (result.hint) lines.push(line('hint', result.hint));
    lines.push(
      line('retryable', result.error?.retryable ? 'yes' : 'no'),
      line('latency', `${result.latencyMs} ms`),
    );
    return lines.join('\n') + '\n';
  }
  const folders =
    result.folders?.items.map((f) => (f.specialUse ? `${f.path} (${f.specialUse})` : f.path)) ?? [];
  const lines = [
    `OK  ${result.message}`,
    line('latency', `${result.latencyMs} ms`),
    line('server', `${result.server?.host}:${result.server?.port} (${result.server?.security})`),
    line('greeting', result.server?.greeting ?? '-'),
    line('auth', `${result.authMethod} as ${result.authenticatedAs}`),
    line('capabilities', result.server?.capabilities.join(' ') ?? '-'),
    line('folders', `${result.folders?.count ?? 0}: ${folders.join(', ')}`),
  ];
  if (result.server?.id)
    lines.push(
      line(
        'server id',
        Object.entries(result.server.id)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
      ),
    );
  for (const warning of result.warnings) lines.push(line('warning', warning));
  return lines.join('\n') + '\n';
}
