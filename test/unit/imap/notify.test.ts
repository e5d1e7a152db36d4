import { describe, expect, it } from 'vitest';
import { compileCommand } from '../../../src/imap/imapflow-internals.js';
import { notifyAttributes } from '../../../src/imap/notify.js';

describe('NOTIFY SET', () => {
  it('names the selected folder and the others, folder names quoted and in modified UTF-7', async () => {
    const bytes = await compileCommand(
      'A1',
      'NOTIFY',
      notifyAttributes(['Lists/Node', 'Entwürfe', 'Say "hi"']),
    );
    expect(Buffer.concat(bytes).toString()).toBe(
      'A1 NOTIFY SET (SELECTED (MessageNew MessageExpunge FlagChange)) ' +
        '(MAILBOXES ("Lists/Node" "Entw&APw-rfe" "Say \\"hi\\"") (MessageNew MessageExpunge FlagChange))',
    );
  });
});
