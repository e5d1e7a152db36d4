/**
 * The hosts' forms are generated from connector.json: the Node-RED editor files committed in the
 * package are what scripts/sync-host-files.ts makes of the manifest now (npm run manifest writes
 * them), and the manifest's value labels name allowed values only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONNECTION_FIELDS } from '../../src/adapters/host-fields.js';
import {
  connectionEditorHtml,
  connectionFieldsJson,
  meltanoProjectYml,
  nodeRedFields,
} from '../../scripts/sync-host-files.js';

const NODE_RED_PACKAGE = new URL(
  '../../packages/node-red-contrib-imap-connector/',
  import.meta.url,
);

describe('host forms from the manifest', () => {
  it('the Node-RED connection editor and field list are current (run npm run manifest)', () => {
    const read = (name: string) => readFileSync(new URL(name, NODE_RED_PACKAGE), 'utf8');
    expect(read('nodes/imap-connection.html')).toBe(connectionEditorHtml());
    expect(read('nodes/connection-fields.json')).toBe(connectionFieldsJson());
  });

  it('the Meltano plugin definition is current (run npm run manifest)', () => {
    const path = new URL('../../packages/meltano/meltano.yml', import.meta.url);
    expect(readFileSync(path, 'utf8')).toBe(meltanoProjectYml());
  });

  it('the Node-RED form has an input per connection field, secrets as password inputs', () => {
    const html = connectionEditorHtml();
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
