'use strict';
/**
 * What the nodes share: the connector's runtime (an ES module, imported once), the connection
 * config of a config node built from the generated field list, errors and status in Node-RED's
 * style, and the node's cursor in its context store.
 */
const { fields } = require('../connection-fields.json');
// The one display rule of every form (src/config/display-rule.ts, copied by npm run manifest).
const { isShown } = require('./display-rule.js');

let runtime;
/** imap-connector's operations (testConnection, read, readStream, write, applyActions, ...). */
function connector() {
  runtime ??= import('imap-connector');
  return runtime;
}

const SECRET_PLACEHOLDER = '__PWRD__';

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

/**
 * The connector's connection config from a config node's settings and credentials: empty
 * fields left out (their defaults apply), fields hidden by the chosen login method left out.
 */
function connectionConfig(settings, credentials, role) {
  const values = { ...settings };
  const config = {};
  for (const field of fields) {
    if (!isShown(field, values, fields)) continue;
    const raw = field.secret ? (credentials || {})[field.name] : settings[field.name];
    const value = convert(field, raw);
    if (value !== undefined) config[field.name] = value;
  }
  config.isSource = true;
  if (role === 'target') config.isTarget = true;
  return config;
}

/** Secrets typed in the dialog, else the stored ones (the editor sends a placeholder for those). */
function mergeCredentials(typed, stored) {
  const merged = {};
  for (const field of fields.filter((f) => f.secret)) {
    const value = typed && typed[field.name];
    if (value && value !== SECRET_PLACEHOLDER) merged[field.name] = value;
    else if (stored && stored[field.name]) merged[field.name] = stored[field.name];
  }
  return merged;
}

/**
 * A connector error as Node-RED reports it: "CODE: message hint" for the debug sidebar, and
 * `code` plus `cause` (code, message, hint, retryable) which catch nodes get in msg.error.
 */
function nodeError(error) {
  if (!error || typeof error.code !== 'string' || typeof error.toJSON !== 'function') return error;
  const json = error.toJSON();
  const reported = new Error(`${json.code}: ${json.message}${json.hint ? ` ${json.hint}` : ''}`);
  reported.code = json.code;
  reported.cause = {
    code: json.code,
    message: json.message,
    hint: json.hint,
    retryable: json.retryable,
  };
  return reported;
}

function errorStatus(error) {
  return { fill: 'red', shape: 'ring', text: (error && error.code) || 'error' };
}

/** The node context's get/set as promises, for memory and file-backed (async) stores alike. */
function contextStore(node, store) {
  const context = node.context();
  const name = store || undefined;
  return {
    get: (key) =>
      new Promise((resolve, reject) =>
        context.get(key, name, (error, value) => (error ? reject(error) : resolve(value))),
      ),
    set: (key, value) =>
      new Promise((resolve, reject) =>
        context.set(key, value, name, (error) => (error ? reject(error) : resolve())),
      ),
  };
}

/** Where imap read and imap watch keep their cursor in the node context. */
const CURSOR_KEY = 'imapConnectorCursor';

/**
 * A row's msg.topic: with the change feed (the connection's Changes field, or the watch node's
 * own) what to do with it, insert, update or delete; else its folder.
 */
function topicOf(row) {
  return row.op !== undefined ? row.op : row.folder;
}

/** The node's imap-connection config node; without one the node says so and does nothing. */
function connectionOf(RED, node, definition) {
  const account = RED.nodes.getNode(definition.connection);
  if (!account) node.status({ fill: 'red', shape: 'ring', text: 'no connection' });
  return account;
}

/** The node's query, ALL when left empty. */
function queryOf(definition) {
  return definition.query && definition.query.trim() !== '' ? definition.query : 'ALL';
}

/** Runs input handlers one after the other, so two pulls never share a cursor. */
function serialInput(node, handle) {
  const run = serialQueue(node);
  node.on('input', (msg, send, done) => run((signal) => handle(msg, send, signal), done));
}

/**
 * One task at a time for a node, each with the node's abort signal (aborted when the node is
 * closed, which waits for the task running). `run(task, done)` calls done() after the task, or
 * done(error) in Node-RED's style with the node's status showing the code.
 */
function serialQueue(node) {
  let queue = Promise.resolve();
  const controller = new AbortController();
  node.on('close', (removed, done) => {
    controller.abort();
    queue.finally(() => done());
  });
  return (task, done) => {
    queue = queue.then(() =>
      task(controller.signal).then(
        () => done(),
        (error) => {
          node.status(errorStatus(error));
          done(nodeError(error));
        },
      ),
    );
  };
}

/**
 * An admin endpoint's handler that can never take Node-RED down: anything it throws (the
 * connector that cannot load, a bug) is a 500 answer in the connector's failure shape,
 * {ok: false, error: {code, message, hint}}, instead of an unhandled rejection (issue 24).
 */
function adminRoute(handler) {
  return (req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error) => {
        const known = error && typeof error.toJSON === 'function' ? error.toJSON() : undefined;
        const failure = known || {
          code: 'INTERNAL',
          message: `imap-connector could not answer: ${(error && error.message) || String(error)}`,
          hint: 'Check that imap-connector is installed next to this package (npm ls imap-connector in the Node-RED user directory).',
        };
        if (!res.headersSent) res.status(500).json({ ok: false, error: failure });
      });
  };
}

module.exports = {
  CURSOR_KEY,
  topicOf,
  connectionOf,
  queryOf,
  serialQueue,
  adminRoute,
  connector,
  connectionConfig,
  mergeCredentials,
  nodeError,
  errorStatus,
  contextStore,
  serialInput,
  fields,
};
