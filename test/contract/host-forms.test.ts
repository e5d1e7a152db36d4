/**
 * The hosts' forms are generated from connector.json: the Node-RED editor files committed in the
 * package are what scripts/sync-host-files.ts makes of the manifest now (npm run manifest writes
 * them), and the manifest's value labels name allowed values only.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_FIELDS } from '../../src/adapters/host-fields.js';
import { generatedHostFiles, nodeRedFields } from '../../scripts/sync-host-files.js';

const ROOT = new URL('../../', import.meta.url);
let files: Record<string, string>;
beforeAll(async () => {
  files = await generatedHostFiles();
});

describe('host forms from the manifest', () => {
  it('every generated host file is current: Node-RED editor and fields, the display rule copies, Meltano (run npm run manifest)', () => {
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(5);
    for (const [path, text] of Object.entries(files))
      expect(readFileSync(new URL(path, ROOT), 'utf8'), path).toBe(text);
  });

  it('the Node-RED form has an input per connection field, secrets as password inputs', () => {
    const html = files['packages/node-red-contrib-imap-connector/nodes/imap-connection.html']!;
    for (const field of nodeRedFields()) {
      expect(html).toContain(`id="node-config-input-${field.name}"`);
      if (field.secret)
        expect(html).toMatch(
          new RegExp(`<input type="password" id="node-config-input-${field.name}"`),
        );
    }
    // The query is the read node's, the roles follow from the node.
    expect(html).not.toContain('node-config-input-query"');
    expect(html).not.toContain('node-config-input-isTarget"');
  });

  it('value labels name allowed values only', () => {
    for (const field of CONNECTION_FIELDS)
      for (const value of Object.keys(field.valueLabels ?? {}))
        expect(field.allowedValues, `${field.name}: ${value}`).toContain(value);
  });
});
