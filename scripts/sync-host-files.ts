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
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { meltanoExtractor } from '../src/adapters/singer/singer-settings.js';
import {
  CONNECTION_FIELDS,
  valueLabel,
  type ConnectionField,
} from '../src/adapters/host-fields.js';
import { MANIFEST } from '../src/manifest.js';

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

/** The editor side: registerType with defaults, credentials, validators, conditions and the button. */
function editorScript(fields: ConnectionField[]): string {
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
  return `(function () {
  // Generated from connector.json by scripts/sync-host-files.ts: do not edit by hand.
  var FIELDS = ${JSON.stringify(described)};
  function valueOf(node, name) {
    var input = $('#node-config-input-' + name);
    if (input.length) return input.is(':checkbox') ? input.prop('checked') : input.val();
    return node[name];
  }
  function shown(node, field) {
    var show = field.displayOptions && field.displayOptions.show;
    if (!show) return true;
    return Object.keys(show).every(function (other) {
      var value = valueOf(node, other);
      if (value === '' || value === undefined) {
        var def = FIELDS.filter(function (f) { return f.name === other; })[0];
        value = def ? def.default : value;
      }
      return show[other].indexOf(value) !== -1;
    });
  }
  function validator(field) {
    return function (value) {
      if (!shown(this, field)) return true;
      if (value === '' || value === undefined || value === null) return !field.required;
      if (field.type === 'integer' || field.type === 'number') {
        if (!/^-?\\d+(\\.\\d+)?$/.test(String(value))) return false;
        var n = Number(value);
        if (field.minimum !== undefined && n < field.minimum) return false;
        if (field.maximum !== undefined && n > field.maximum) return false;
      }
      if (field.pattern && field.type !== 'boolean' && !new RegExp(field.pattern).test(String(value))) return false;
      return true;
    };
  }
  var defaults = { name: { value: '' } };
  var credentials = {};
  FIELDS.forEach(function (field) {
    if (field.secret) credentials[field.name] = { type: 'password' };
    else
      defaults[field.name] = {
        value: field.default !== undefined ? field.default : field.type === 'boolean' ? false : '',
        validate: validator(field),
      };
  });
  function collect(node) {
    var settings = {};
    var secrets = {};
    FIELDS.forEach(function (field) {
      if (!shown(node, field)) return;
      var value = valueOf(node, field.name);
      (field.secret ? secrets : settings)[field.name] = value;
    });
    return { id: node.id, settings: settings, credentials: secrets };
  }
  function refresh(node) {
    FIELDS.forEach(function (field) {
      $('.imap-connector-field[data-field="' + field.name + '"]').toggle(shown(node, field));
      if (field.placeholder) {
        var by = valueOf(node, field.placeholder.field) || '';
        $('#node-config-input-' + field.name).attr('placeholder', field.placeholder.values[by] || '');
      }
    });
  }
  function describe(result) {
    if (!result.ok) return result.code + ': ' + result.message + (result.hint ? '\\n' + result.hint : '');
    var lines = ['OK: ' + result.message, 'Latency: ' + result.latencyMs + ' ms'];
    if (result.folders) lines.push('Folders: ' + result.folders.count);
    if (result.server) lines.push('Capabilities: ' + result.server.capabilities.join(' '));
    (result.warnings || []).forEach(function (w) { lines.push('Warning: ' + w); });
    return lines.join('\\n');
  }
  RED.nodes.registerType('imap-connection', {
    category: 'config',
    defaults: defaults,
    credentials: credentials,
    label: function () {
      return this.name || (this.username ? this.username + '@' + this.server : 'IMAP connection');
    },
    oneditprepare: function () {
      var node = this;
      $('.imap-connector-advanced-toggle').on('click', function (event) {
        event.preventDefault();
        var group = $(this).data('group');
        var section = $('.imap-connector-advanced[data-group="' + group + '"]');
        section.toggle();
        $(this).text(section.is(':visible') ? 'Hide advanced settings' : 'Show advanced settings');
      });
      FIELDS.forEach(function (field) {
        $('#node-config-input-' + field.name).on('change input', function () { refresh(node); });
      });
      refresh(node);
      $('#imap-connector-test-connection').on('click', function () {
        var out = $('#imap-connector-test-result').show().text('Testing ...');
        $.ajax({
          url: 'imap-connector/test-connection',
          type: 'POST',
          contentType: 'application/json',
          data: JSON.stringify(collect(node)),
        }).then(
          function (result) { out.text(describe(result)); },
          function (xhr) { out.text('Failed: ' + (xhr.responseJSON ? xhr.responseJSON.message : xhr.statusText)); }
        );
      });
    },
  });
})();`;
}

export function connectionEditorHtml(): string {
  const fields = nodeRedFields();
  return [
    `<script type="text/javascript">`,
    editorScript(fields),
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

/** What the runtime needs of each field: how to convert a setting and where it is stored. */
export function connectionFieldsJson(): string {
  const fields = nodeRedFields().map((field) => ({
    name: field.name,
    type: field.type,
    secret: field.secret,
    displayOptions: field.displayOptions,
  }));
  return (
    JSON.stringify(
      { generatedFrom: 'connector.json', version: MANIFEST.version, fields },
      null,
      2,
    ) + '\n'
  );
}

/** A Meltano project file with the extractor and a JSON Lines loader, ready for `meltano install`. */
export function meltanoProjectYml(): string {
  const project = {
    version: 1,
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
  };
  return (
    '# Generated from connector.json by scripts/sync-host-files.ts (imap-connector singer --meltano-yml).\n' +
    '# Secrets: meltano config tap-imap-connector set password ... (kept in .env), or TAP_IMAP_CONNECTOR_PASSWORD.\n' +
    stringify(project)
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Run as dist/scripts/sync-node-red.js.
  const NODE_RED_PACKAGE = new URL(
    '../../packages/node-red-contrib-imap-connector/',
    import.meta.url,
  );
  writeFileSync(new URL('nodes/imap-connection.html', NODE_RED_PACKAGE), connectionEditorHtml());
  writeFileSync(new URL('nodes/connection-fields.json', NODE_RED_PACKAGE), connectionFieldsJson());
  writeFileSync(
    new URL('../../packages/meltano/meltano.yml', import.meta.url),
    meltanoProjectYml(),
  );
}
