/**
 * The host files generated from connector.json. The Meltano plugin definition
 * (packages/meltano/meltano.yml, the custom extractor entry `singer --meltano-yml` prints), and
 * the Node-RED package's connection form: the config node's
 * editor (packages/node-red-contrib-imap-connector/nodes/imap-connection.html: fields by group,
 * advanced ones folded, conditions, placeholders, validators, help) and the field list its
 * runtime reads (connection-fields.json: which settings are credentials, which are numbers).
 * A field added to the manifest appears in Node-RED without a hand edit.
 * `npm run manifest` writes them; test/contract/host-forms.test.ts fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { stringify } from 'yaml';
import { meltanoExtractor } from '../src/adapters/singer/singer-settings.js';
import {
  CONNECTION_FIELDS,
  valueLabel,
  type ConnectionField,
} from '../src/adapters/host-fields.js';
import ts from 'typescript';
import { MANIFEST } from '../src/manifest.js';

/** The repository root, whether this runs from scripts/ (tests) or dist/scripts/ (npm run manifest). */
function repoRoot(): URL {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
      };
      if (manifest.name === 'imap-connector') return dir;
    } catch {
      // Not the root yet.
    }
    if (dir.pathname === '/') throw new Error('the repository root was not found');
  }
}

const ROOT = repoRoot();
const NODE_RED_PACKAGE = new URL('packages/node-red-contrib-imap-connector/', ROOT);

// isSource / isTarget follow from the node (read or write); the query belongs to the read node.
const NOT_IN_CONNECTION = new Set(['isActive', 'isSource', 'isTarget', 'query']);

export function nodeRedFields(): ConnectionField[] {
  return CONNECTION_FIELDS.filter((field) => !NOT_IN_CONNECTION.has(field.name));
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function inputOf(field: ConnectionField): string {
  const id = `node-config-input-${field.name}`;
  const title = `title="${escapeHtml(field.help)}"`;
  switch (field.type) {
    case 'boolean':
      return `<input type="checkbox" id="${id}" style="display:inline-block; width:auto; vertical-align:top;" ${title}>`;
    case 'enum':
      return `<select id="${id}" style="width:70%" ${title}>${(field.allowedValues ?? [])
        .map(
          (value) =>
            `<option value="${escapeHtml(value)}">${escapeHtml(valueLabel(field, value))}</option>`,
        )
        .join('')}</select>`;
    case 'text':
      return `<textarea id="${id}" rows="4" style="width:70%" ${title}></textarea>`;
    default: {
      const type = field.secret ? 'password' : 'text';
      const hint = field.type === 'stringList' ? ' placeholder="comma separated"' : '';
      return `<input type="${type}" id="${id}" style="width:70%"${hint} ${title}>`;
    }
  }
}

function rowOf(field: ConnectionField): string {
  const required = field.required ? ' <span class="imap-connector-required">*</span>' : '';
  return [
    `<div class="form-row imap-connector-field" data-field="${field.name}">`,
    `  <label for="node-config-input-${field.name}">${escapeHtml(field.label)}${required}</label>`,
    `  ${inputOf(field)}`,
    `</div>`,
  ].join('\n');
}

function templateOf(fields: ConnectionField[]): string {
  const sections = MANIFEST.groups.flatMap((group) => {
    const inGroup = fields.filter((field) => field.group === group.id);
    if (inGroup.length === 0) return [];
    const plain = inGroup.filter((field) => !field.advanced);
    const advanced = inGroup.filter((field) => field.advanced);
    return [
      `<h4 class="imap-connector-group">${escapeHtml(group.label)}</h4>`,
      ...plain.map(rowOf),
      ...(advanced.length > 0
        ? [
            `<div class="form-row"><a href="#" class="imap-connector-advanced-toggle" data-group="${group.id}">Show advanced settings</a></div>`,
            `<div class="imap-connector-advanced" data-group="${group.id}" style="display:none">`,
            ...advanced.map(rowOf),
            `</div>`,
          ]
        : []),
    ];
  });
  return [
    `<div class="form-row">`,
    `  <label for="node-config-input-name"><i class="fa fa-tag"></i> Name</label>`,
    `  <input type="text" id="node-config-input-name" style="width:70%">`,
    `</div>`,
    ...sections,
    `<div class="form-row">`,
    `  <button type="button" class="red-ui-button" id="imap-connector-test-connection"><i class="fa fa-plug"></i> Test Connection</button>`,
    `</div>`,
    `<div class="form-row"><pre id="imap-connector-test-result" style="white-space:pre-wrap; display:none"></pre></div>`,
  ].join('\n');
}

function helpOf(fields: ConnectionField[]): string {
  return [
    `<p>An IMAP account for the <code>imap read</code>, <code>imap write</code> and <code>imap acknowledge</code> nodes. Passwords and tokens are kept in Node-RED's credential store, never in the flow file.</p>`,
    `<h3>Settings</h3>`,
    `<dl class="message-properties">`,
    ...fields.map(
      (field) =>
        `  <dt>${escapeHtml(field.label)} <span class="property-type">${field.name}</span></dt>\n  <dd>${escapeHtml(field.help)}</dd>`,
    ),
    `</dl>`,
    `<p><b>Test Connection</b> logs in with the values in the dialog and shows the folder count, latency and capabilities, or the error code with what to do about it.</p>`,
  ].join('\n');
}

/**
 * The editor side: the real file nodes/lib/connection-editor.js, fed with the fields and the
 * one display rule, and called. Nothing of the editor's logic lives in this generator.
 */
function editorScript(fields: ConnectionField[], rule: string): string {
  const described = fields.map((field) => ({
    name: field.name,
    type: field.type,
    required: field.required,
    secret: field.secret,
    default: field.default,
    minimum: field.minimum,
    maximum: field.maximum,
    pattern: field.pattern,
    displayOptions: field.displayOptions,
    placeholder: (field as { placeholder?: unknown }).placeholder,
  }));
  const editor = readFileSync(new URL('nodes/lib/connection-editor.js', NODE_RED_PACKAGE), 'utf8');
  return [
    '(function () {',
    '  // Generated from connector.json by scripts/sync-host-files.ts: do not edit by hand.',
    `  var FIELDS = ${JSON.stringify(described)};`,
    rule.trim(),
    editor.trim(),
    '  imapConnectionEditor(FIELDS, isShown);',
    '})();',
  ].join('\n');
}

const GENERATED =
  'Generated from src/config/display-rule.ts by scripts/sync-host-files.ts: do not edit.';

/**
 * The one display rule as plain JavaScript: src/config/display-rule.ts with its types taken
 * out by the TypeScript compiler (the same whoever runs this), formatted.
 */
async function displayRuleFunction(): Promise<string> {
  const source = readFileSync(new URL('src/config/display-rule.ts', ROOT), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      removeComments: true,
    },
  });
  const start = outputText.indexOf('function isShown');
  const body = outputText.slice(start).replace(/export \{\};?\s*$/, '');
  return format(body, { ...(await prettierOptions()), parser: 'babel' });
}

async function prettierOptions(): Promise<Record<string, unknown>> {
  return (await resolveConfig(fileURLToPath(new URL('package.json', ROOT)))) ?? {};
}

/**
 * Every file generated from the manifest and the display rule, by path from the repository
 * root: what npm run manifest writes and test/contract/host-forms.test.ts compares.
 */
export async function generatedHostFiles(): Promise<Record<string, string>> {
  const rule = await displayRuleFunction();
  const options = { ...(await prettierOptions()), parser: 'babel' };
  const nodeRed = 'packages/node-red-contrib-imap-connector/nodes/';
  return {
    [`${nodeRed}imap-connection.html`]: connectionEditorHtml(rule),
    [`${nodeRed}connection-fields.json`]: connectionFieldsJson(),
    [`${nodeRed}lib/display-rule.js`]: await format(
      `'use strict';\n// ${GENERATED}\n${rule}\nmodule.exports = { isShown };\n`,
      options,
    ),
    'src/console/static/display-rule.js': await format(`// ${GENERATED}\nexport ${rule}`, options),
    [`${N8N}credentials/connection-form.json`]: n8nConnectionForm(),
    [`${N8N}nodes/lib/display-rule.js`]: await format(
      `'use strict';\n// ${GENERATED}\n${rule}\nmodule.exports = { isShown };\n`,
      options,
    ),
    'packages/meltano/meltano.yml': meltanoProjectYml(),
  };
}

function connectionEditorHtml(rule: string): string {
  const fields = nodeRedFields();
  return [
    `<script type="text/javascript">`,
    editorScript(fields, rule),
    `</script>`,
    ``,
    `<script type="text/html" data-template-name="imap-connection">`,
    templateOf(fields),
    `</script>`,
    ``,
    `<script type="text/html" data-help-name="imap-connection">`,
    helpOf(fields),
    `</script>`,
    ``,
  ].join('\n');
}

/** What a runtime needs of each field: how to convert a setting and where it is stored. */
function runtimeFields(): Record<string, unknown>[] {
  return nodeRedFields().map((field) => ({
    name: field.name,
    type: field.type,
    secret: field.secret,
    default: field.default,
    displayOptions: field.displayOptions,
  }));
}

function connectionFieldsJson(): string {
  const fields = runtimeFields();
  return (
    JSON.stringify(
      { generatedFrom: 'connector.json', version: MANIFEST.version, fields },
      null,
      2,
    ) + '\n'
  );
}

const N8N = 'packages/n8n-nodes-imap-connector/';

/**
 * A field as an n8n credential property. A number without a default (the port: empty follows
 * the security) is a text field, since n8n's number fields cannot be empty.
 */
function n8nProperty(field: ConnectionField): Record<string, unknown> {
  const base: Record<string, unknown> = {
    displayName: field.label,
    name: field.name,
    description: field.help,
    ...(field.required ? { required: true } : {}),
    ...(field.displayOptions ? { displayOptions: field.displayOptions } : {}),
  };
  switch (field.type) {
    case 'boolean':
      return { ...base, type: 'boolean', default: field.default ?? false };
    case 'enum':
      return {
        ...base,
        type: 'options',
        options: (field.allowedValues ?? []).map((value) => ({
          name: valueLabel(field, value),
          value,
        })),
        default: field.default ?? field.allowedValues?.[0] ?? '',
      };
    case 'integer':
    case 'number':
      return field.default === undefined
        ? { ...base, type: 'string', default: '' }
        : { ...base, type: 'number', default: field.default };
    default:
      return {
        ...base,
        type: 'string',
        default: field.default === undefined ? '' : String(field.default),
        ...(field.secret ? { typeOptions: { password: true } } : {}),
        ...(field.type === 'text' ? { typeOptions: { rows: 4 } } : {}),
        ...(field.type === 'stringList' ? { placeholder: 'comma-separated' } : {}),
      };
  }
}

/** The n8n credential's form (its properties) and what its runtime needs of each field. */
function n8nConnectionForm(): string {
  return (
    JSON.stringify(
      {
        generatedFrom: 'connector.json',
        version: MANIFEST.version,
        fields: runtimeFields(),
        properties: nodeRedFields().map(n8nProperty),
      },
      null,
      2,
    ) + '\n'
  );
}

/** A Meltano project file with the extractor and a JSON Lines loader, ready for `meltano install`. */
function meltanoProjectYml(): string {
  // No `version`: Meltano 4 warns that it is deprecated.
  const project = {
    default_environment: 'dev',
    environments: [{ name: 'dev' }],
    plugins: {
      extractors: [meltanoExtractor()],
      // A loader defined here rather than taken from Meltano Hub: meltano install needs only PyPI.
      loaders: [
        {
          name: 'target-jsonl',
          namespace: 'target_jsonl',
          pip_url: 'target-jsonl==0.1.4',
          executable: 'target-jsonl',
          settings: [
            { name: 'destination_path', value: 'output' },
            { name: 'do_timestamp_file', kind: 'boolean', value: false },
          ],
        },
      ],
    },
    // Meltano 4's way to schedule a pipeline: a job, then `meltano schedule add NAME --job`.
    jobs: [{ name: 'imap-to-jsonl', tasks: ['tap-imap-connector target-jsonl'] }],
  };
  return (
    '# Generated from connector.json by scripts/sync-host-files.ts (imap-connector singer --meltano-yml).\n' +
    '# Meltano 4: meltano install (target-jsonl from PyPI; the tap is the npm package imap-connector),\n' +
    '# meltano config set tap-imap-connector server imaps://mail.example.com, and the password with\n' +
    "# meltano config set tap-imap-connector password '...' (kept in .env) or TAP_IMAP_CONNECTOR_PASSWORD;\n" +
    '# meltano run imap-to-jsonl, and meltano schedule add imap-hourly --job imap-to-jsonl --interval @hourly.\n' +
    stringify(project)
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Run as dist/scripts/sync-host-files.js (npm run manifest).
  for (const [path, text] of Object.entries(await generatedHostFiles()))
    writeFileSync(new URL(path, ROOT), text);
}
