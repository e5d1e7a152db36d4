import { describe, expect, it } from 'vitest';
import {
  messageToRow,
  parseHeaderBlock,
  rowId,
  type FetchedMessage,
  type RowContext,
} from '../../../src/rows/message-to-row.js';

const ctx: RowContext = {
  account: 'alice@mail.example.com',
  folder: 'Über/2024',
  uidValidity: '7',
  dateTimeFormat: 'ISO8601',
};
const base: FetchedMessage = {
  uid: 12,
  flags: new Set(['\\Seen', '$Label1', '\\Recent']),
  internalDate: new Date('2024-05-01T10:00:00Z'),
  size: 1234,
  envelope: {
    date: new Date('2024-04-30T08:00:00Z'),
    subject: 'Hello',
    messageId: '<m1@example.com>',
    from: [{ name: 'Alice', address: 'alice@example.com' }],
    to: [{ name: 'undisclosed-recipients', address: '' }],
  },
  bodyStructure: {
    type: 'multipart/mixed',
    childNodes: [
      { part: '1', type: 'text/plain' },
      { part: '2', type: 'image/png', id: '<logo>', size: 400, disposition: 'inline' },
      {
        part: '3',
        type: 'text/csv',
        disposition: 'attachment',
        dispositionParameters: { filename: 'data.csv' },
        size: 90,
      },
    ],
  },
  headers: Buffer.from('References: <a@x>\r\n <b@x>\r\n\r\n'),
};

describe('messageToRow', () => {
  it('maps a FETCH answer to a row', () => {
    expect(messageToRow(base, ctx)).toEqual({
      id: 'imap://alice@mail.example.com/%C3%9Cber%2F2024;UIDVALIDITY=7/;UID=12',
      account: 'alice@mail.example.com',
      folder: 'Über/2024',
      uidValidity: '7',
      uid: 12,
      messageId: '<m1@example.com>',
      inReplyTo: null,
      references: ['<a@x>', '<b@x>'],
      subject: 'Hello',
      from: [{ name: 'Alice', address: 'alice@example.com' }],
      sender: [],
      replyTo: [],
      to: [{ name: 'undisclosed-recipients', address: null }],
      cc: [],
      bcc: [],
      date: '2024-04-30T08:00:00.000Z',
      headerDate: '2024-04-30T08:00:00.000Z',
      internalDate: '2024-05-01T10:00:00.000Z',
      size: 1234,
      flags: ['$Label1', '\\Seen'],
      labels: null,
      threadId: null,
      hasAttachments: true,
      attachments: [
        {
          part: '2',
          filename: null,
          contentType: 'image/png',
          disposition: 'inline',
          contentId: '<logo>',
          encodedSize: 400,
          size: null,
          sha256: null,
        },
        {
          part: '3',
          filename: 'data.csv',
          contentType: 'text/csv',
          disposition: 'attachment',
          contentId: null,
          encodedSize: 90,
          size: null,
          sha256: null,
        },
      ],
      parseWarnings: [],
    });
  });

  it('never uses the clock: an unreadable Date header falls back to the internal date with a warning', () => {
    const row = messageToRow(
      { ...base, envelope: { ...base.envelope, date: 'Tuesday, sometime' } },
      ctx,
    );
    expect(row).toMatchObject({
      date: '2024-05-01T10:00:00.000Z',
      headerDate: null,
      parseWarnings: ['unreadable Date header "Tuesday, sometime"; date is the internal date'],
    });
  });

  it('warns about a missing Message-ID and a missing Date, and returns nulls rather than failing', () => {
    const row = messageToRow(
      {
        uid: 1,
        flags: new Set(),
        internalDate: new Date('2024-01-01T00:00:00Z'),
        envelope: {},
      } as FetchedMessage,
      ctx,
    );
    expect(row).toMatchObject({
      messageId: null,
      subject: null,
      from: [],
      size: null,
      attachments: [],
      hasAttachments: false,
    });
    expect(row.parseWarnings).toEqual([
      'no Date header; date is the internal date',
      'no Message-ID header',
    ]);
  });

  it('adds the extra headers asked for, empty when absent', () => {
    expect(
      messageToRow(
        { ...base, headers: Buffer.from('List-Id: <list.example.com>\r\n') },
        ctx,
        undefined,
        ['List-Id', 'X-Mailer'],
      ).headers,
    ).toEqual({ 'list-id': ['<list.example.com>'], 'x-mailer': [] });
  });

  it('sorts Gmail labels and keeps the thread id', () => {
    expect(
      messageToRow({ ...base, labels: new Set(['\\Important', 'Work']), threadId: '1780' }, ctx),
    ).toMatchObject({ labels: ['Work', '\\Important'], threadId: '1780' });
  });
});

describe('rowId', () => {
  it('gives each folder, account and UIDVALIDITY its own id, whatever came before', () => {
    // The encoded prefix is kept for the last folder: interleaved contexts must not share it.
    const other = { ...ctx, folder: 'INBOX' };
    const renumbered = { ...ctx, uidValidity: '8' };
    const bob = { ...ctx, account: 'bob@mail.example.com' };
    const ids = [ctx, other, ctx, renumbered, bob, ctx].map((c, i) => rowId(c, i + 1));
    expect(ids).toEqual([
      'imap://alice@mail.example.com/%C3%9Cber%2F2024;UIDVALIDITY=7/;UID=1',
      'imap://alice@mail.example.com/INBOX;UIDVALIDITY=7/;UID=2',
      'imap://alice@mail.example.com/%C3%9Cber%2F2024;UIDVALIDITY=7/;UID=3',
      'imap://alice@mail.example.com/%C3%9Cber%2F2024;UIDVALIDITY=8/;UID=4',
      'imap://bob@mail.example.com/%C3%9Cber%2F2024;UIDVALIDITY=7/;UID=5',
      'imap://alice@mail.example.com/%C3%9Cber%2F2024;UIDVALIDITY=7/;UID=6',
    ]);
  });
});

describe('parseHeaderBlock', () => {
  it('unfolds and groups repeated fields', () => {
    expect(parseHeaderBlock(Buffer.from('Received: a\r\n\tb\r\nreceived: c\r\nX: y\r\n'))).toEqual({
      received: ['a b', 'c'],
      x: ['y'],
    });
  });
});
