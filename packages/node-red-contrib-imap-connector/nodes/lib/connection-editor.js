/* global RED, $ */
/**
 * The imap-connection config node's editor side: registerType with defaults, credentials,
 * validators, shown fields and the Test Connection button. scripts/sync-host-files.ts embeds
 * this file in imap-connection.html with the fields generated from connector.json and the one
 * display rule (src/config/display-rule.ts), and calls it: imapConnectionEditor(FIELDS, isShown).
 */
// eslint-disable-next-line no-unused-vars
function imapConnectionEditor(FIELDS, isShown) {
  function valueOf(node, name) {
    var input = $('#node-config-input-' + name);
    if (input.length) return input.is(':checkbox') ? input.prop('checked') : input.val();
    return node[name];
  }
  function values(node) {
    var out = {};
    FIELDS.forEach(function (field) {
      out[field.name] = valueOf(node, field.name);
    });
    return out;
  }
  function shown(node, field) {
    return isShown(field, values(node), FIELDS);
  }
  function validator(field) {
    return function (value) {
      if (!shown(this, field)) return true;
      if (value === '' || value === undefined || value === null) return !field.required;
      if (field.type === 'integer' || field.type === 'number') {
        if (!/^-?\d+(\.\d+)?$/.test(String(value))) return false;
        var n = Number(value);
        if (field.minimum !== undefined && n < field.minimum) return false;
        if (field.maximum !== undefined && n > field.maximum) return false;
      }
      if (
        field.pattern &&
        field.type !== 'boolean' &&
        !new RegExp(field.pattern).test(String(value))
      )
        return false;
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
      (field.secret ? secrets : settings)[field.name] = valueOf(node, field.name);
    });
    return { id: node.id, settings: settings, credentials: secrets };
  }
  function refresh(node) {
    FIELDS.forEach(function (field) {
      $('.imap-connector-field[data-field="' + field.name + '"]').toggle(shown(node, field));
      if (field.placeholder) {
        var by = valueOf(node, field.placeholder.field) || '';
        $('#node-config-input-' + field.name).attr(
          'placeholder',
          field.placeholder.values[by] || '',
        );
      }
    });
  }
  /** A failure in the connector's one shape, {ok: false, error: {code, message, hint}}. */
  function failed(error) {
    return error.code + ': ' + error.message + (error.hint ? '\n' + error.hint : '');
  }
  function describe(result) {
    if (!result.ok) return failed(result.error);
    var lines = ['OK: ' + result.message, 'Latency: ' + result.latencyMs + ' ms'];
    if (result.folders) lines.push('Folders: ' + result.folders.count);
    if (result.server) lines.push('Capabilities: ' + result.server.capabilities.join(' '));
    (result.warnings || []).forEach(function (w) {
      lines.push('Warning: ' + w);
    });
    return lines.join('\n');
  }
  function testConnection(node) {
    var out = $('#imap-connector-test-result').show().text('Testing ...');
    $.ajax({
      url: 'imap-connector/test-connection',
      type: 'POST',
      contentType: 'application/json',
      data: JSON.stringify(collect(node)),
    }).then(
      function (result) {
        out.text(describe(result));
      },
      function (xhr) {
        var body = xhr.responseJSON;
        out.text(body && body.error ? failed(body.error) : 'Failed: ' + xhr.statusText);
      },
    );
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
        $('#node-config-input-' + field.name).on('change input', function () {
          refresh(node);
        });
      });
      refresh(node);
      $('#imap-connector-test-connection').on('click', function () {
        testConnection(node);
      });
    },
  });
}
