'use strict';
/**
 * What the n8n nodes share: the connector's runtime (an ES module, imported once), the
 * connection config from the credential, the credential test, the cursor in the workflow's
 * static data, and the connector's errors as n8n's NodeOperationError (code in the message,
 * the hint as its description).
 */
const { NodeOperationError } = require('n8n-workflow');
const { fields } = require('../../credentials/connection-form.json');
const { isShown } = require('./display-rule.js');

let runtime;
/** imap-connector's operations (testConnection, read, readStream, write, applyActions, ...). */
function connector() {
  runtime ??= import('imap-connector');
  return runtime;
}

function convert(field, value) {
  if (value === undefined || value === null || value === '') return undefined;
  switch (field.type) {
    case 'integer':
    case 'number': {
      const number = Number(value);
      // A text the schema refuses is passed on as it is, so the error names the field.
      return Number.isFinite(number) ? number : value;
    }
    case 'boolean':
      return value === true || value === 'true';
    case 'stringList':
      return Array.isArray(value)
        ? value
        : String(value)
            .split(/[,\n]/)
            .map((item) => item.trim())
            .filter(Boolean);
    default:
      return String(value);
  }
}

/** The connector's config from a credential's data: empty and hidden fields left out. */
function connectionConfig(data, role) {
  const values = { ...(data || {}) };
  const config = {};
  for (const field of fields) {
    if (!isShown(field, values, fields)) continue;
    const value = convert(field, values[field.name]);
    if (value !== undefined) config[field.name] = value;
  }
  config.isSource = true;
  if (role === 'target') config.isTarget = true;
  return config;
}

/** n8n's Test Connection: logs in and lists the folders, or says why not (code and hint). */
async function testCredential(credential) {
  const { testConnection } = await connector();
  const result = await testConnection(connectionConfig(credential.data, 'source'));
  if (result.ok)
    return {
      status: 'OK',
      message: `Connected: ${result.folders ? result.folders.count : 0} folders, ${result.latencyMs} ms`,
    };
  return {
    status: 'Error',
    message: `${result.code}: ${result.message}${result.hint ? ` ${result.hint}` : ''}`,
  };
}

/**
 * A connector error as n8n shows it: "CODE: message" with the hint as the description, and the
 * code, hint and retryability kept on the error (error.context) for an error workflow.
 */
function operationError(node, error, itemIndex) {
  if (!error || typeof error.code !== 'string' || typeof error.toJSON !== 'function') {
    return new NodeOperationError(node, error instanceof Error ? error : String(error), {
      itemIndex,
    });
  }
  const json = error.toJSON();
  const failure = new NodeOperationError(node, `${json.code}: ${json.message}`, {
    description: json.hint,
    itemIndex,
  });
  failure.context = { ...(failure.context || {}), code: json.code, hint: json.hint };
  failure.context.retryable = json.retryable === true;
  return failure;
}

/** The ids of rows: a row, an array of rows or ids, or an id. */
function idsOf(value) {
  const items = Array.isArray(value) ? value : [value];
  return items
    .map((item) => (typeof item === 'string' ? item : item && item.id))
    .filter((id) => typeof id === 'string');
}

/**
 * Reads for a node: the next page, or all mail new since the cursor kept in `staticData`
 * (the workflow's static data, which n8n saves after a run that is not a manual test). The
 * cursor moves once the rows are handed on, so the next run gives only mail that came since.
 */
async function readRows(config, query, staticData, options) {
  const { read, readStream } = await connector();
  if (options.reset) delete staticData.cursor;
  const common = {
    select: options.select,
    restartChangedFolders: true,
    ...(staticData.cursor ? { cursor: staticData.cursor } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const warnings = [];
  const rows = [];
  let cursor;
  if (options.mode === 'page') {
    const page = await read(config, query, common);
    rows.push(...page.rows);
    warnings.push(...page.warnings);
    cursor = page.cursor;
  } else {
    const stream = readStream(config, query, {
      ...common,
      onCheckpoint: (checkpoint) => {
        warnings.push(...checkpoint.warnings);
        cursor = checkpoint.cursor;
      },
    });
    for await (const row of stream) rows.push(row);
  }
  return {
    rows,
    warnings,
    commit: () => {
      if (cursor) staticData.cursor = cursor;
    },
  };
}

module.exports = {
  connector,
  connectionConfig,
  idsOf,
  operationError,
  readRows,
  testCredential,
};
