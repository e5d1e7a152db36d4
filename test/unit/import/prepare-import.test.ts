import { describe, expect, it } from 'vitest';
import { prepareImport } from '../../../src/import/prepare-import.js';
import { parseAfter } from '../../../src/cli/import-command.js';

const source = { server: 'imap.example.com', username: 'ann', password: 'secret-source' };
const targetConnection = {
  server: 'imap.example.org',
  username: 'bob',
  password: 'secret-target',
  isTarget: true,
};

function issues(run: () => unknown): { field: string; message: string }[] {
  try {
    run();
  } catch (error) {
    return (error as { details: { issues: { field: string; message: string }[] } }).details.issues;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('prepareImport', () => {
  it('defaults to ALL, message-id dedupe and no post-read action', () => {
    const prepared = prepareImport(source, { destination: { archive: '/tmp/a.archive' } });
    expect(prepared.plan.searchText).toBe('ALL');
    expect(prepared.mode).toBe('message-id');
    expect(prepared.postReadAction).toEqual({ type: 'none' });
  });

  it("takes the target connection's dedupe setting unless the spec sets one", () => {
    expect(
      prepareImport(source, {
        destination: { connection: { ...targetConnection, dedupe: 'hash' }, state: 's.db' },
      }).mode,
    ).toBe('hash');
    expect(
      prepareImport(source, {
        destination: { connection: { ...targetConnection, dedupe: 'hash' }, state: 's.db' },
        dedupe: 'none',
      }).mode,
    ).toBe('none');
  });

  it('names the field of every problem, target fields under /destination/connection', () => {
    expect(issues(() => prepareImport(source, {}))).toEqual([
      { field: '/destination', message: 'destination is required' },
    ]);
    expect(issues(() => prepareImport(source, { destination: { state: 's.db' } }))).toEqual([
      {
        field: '/destination',
        message: 'destination needs either archive (a file path) or connection and state',
      },
    ]);
    expect(
      issues(() =>
        prepareImport(source, {
          destination: { connection: { ...targetConnection, port: 70000 }, state: 's' },
        }),
      ),
    ).toEqual([
      {
        field: '/destination/connection/port',
        message: 'destination/connection: port must be 1-65535, got 70000',
      },
    ]);
    expect(
      issues(() =>
        prepareImport(source, {
          destination: { connection: { ...targetConnection, isTarget: false }, state: 's' },
        }),
      ),
    ).toEqual([
      {
        field: '/destination/connection/isTarget',
        message: 'isTarget must be true to write to this connection',
      },
    ]);
    expect(
      issues(() =>
        prepareImport(source, {
          destination: { archive: 'a' },
          postReadAction: { type: 'addKeyword' },
        }),
      ),
    ).toEqual([
      { field: '/postReadAction/keyword', message: 'keyword is required when type is addKeyword' },
    ]);
    expect(
      issues(() => prepareImport(source, { destination: { archive: 'a' }, dedupe: 'fuzzy' })),
    ).toEqual([
      { field: '/dedupe', message: 'dedupe must be one of message-id, hash, none, got "fuzzy"' },
    ]);
  });

  it('never repeats a secret in an error', () => {
    const text = JSON.stringify(
      issues(() =>
        prepareImport(source, {
          destination: { connection: { ...targetConnection, port: 'x' }, state: 's' },
        }),
      ),
    );
    expect(text).not.toContain('secret-target');
  });

  it('is the same job over another port, and another job with another prefix or query', () => {
    const job = (src: object, spec: object = {}): string =>
      prepareImport(src, { destination: { archive: 'a' }, ...spec }).job;
    expect(job({ ...source, port: 143, security: 'starttls' })).toBe(job(source));
    expect(job(source, { folderPrefix: 'Imported' })).not.toBe(job(source));
    expect(job(source, { query: 'SINCE 2024-01-01' })).not.toBe(job(source));
  });
});

describe('--after', () => {
  it('reads each action and rejects anything else', () => {
    expect(parseAfter('mark-seen')).toEqual({ type: 'markSeen' });
    expect(parseAfter('keyword:$Archived')).toEqual({ type: 'addKeyword', keyword: '$Archived' });
    expect(parseAfter('move:Archive/Done')).toEqual({ type: 'move', folder: 'Archive/Done' });
    expect(parseAfter('delete')).toEqual({ type: 'delete' });
    expect(parseAfter(undefined)).toBeUndefined();
    expect(() => parseAfter('move:')).toThrow(/--after must be none, mark-seen/);
    expect(() => parseAfter('shred')).toThrow(/got "shred"/);
    expect(parseAfter('delete-older-than:90d')).toEqual({ type: 'delete', olderThanDays: 90 });
    expect(parseAfter('delete-older-than:7')).toEqual({ type: 'delete', olderThanDays: 7 });
    expect(() => parseAfter('delete-older-than:0d')).toThrow(/delete-older-than:DAYSd/);
    expect(() => parseAfter('delete-older-than:3w')).toThrow(/got "delete-older-than:3w"/);
  });
});
