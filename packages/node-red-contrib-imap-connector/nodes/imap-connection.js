'use strict';
/**
 * The imap-connection config node: one IMAP account. Settings in the flow, passwords and tokens
 * in Node-RED's credential store. Also the editor's Test Connection and Test Query endpoints,
 * behind the editor's own permissions (imap-connection.write / imap-read.write).
 */
const {
  adminRoute,
  connector,
  connectionConfig,
  mergeCredentials,
  fields,
} = require('./lib/connector-client.js');

module.exports = function register(RED) {
  function ImapConnectionNode(definition) {
    RED.nodes.createNode(this, definition);
    this.name = definition.name;
    this.settings = {};
    for (const field of fields.filter((f) => !f.secret))
      this.settings[field.name] = definition[field.name];
  }
  /** The connector config of this account, for reading (source) or writing (target). */
  ImapConnectionNode.prototype.connectorConfig = function connectorConfig(role) {
    return connectionConfig(this.settings, this.credentials, role);
  };

  const credentials = {};
  for (const field of fields.filter((f) => f.secret))
    credentials[field.name] = { type: 'password' };
  RED.nodes.registerType('imap-connection', ImapConnectionNode, { credentials });

  // The connector's one failure shape, {ok: false, error: {code, message, hint}}.
  const badRequest = (message) => ({
    ok: false,
    error: {
      code: 'USAGE_INVALID',
      message,
      hint: 'The editor sent a request this node does not know; reload the editor.',
    },
  });
  const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
  // The connector answers within its own timeout; this bounds a dialog that waits on it.
  const signal = () => AbortSignal.timeout(120 * 1000);

  RED.httpAdmin.post(
    '/imap-connector/test-connection',
    RED.auth.needsPermission('imap-connection.write'),
    adminRoute(async (req, res) => {
      const body = req.body;
      if (
        !isObject(body) ||
        !isObject(body.settings) ||
        (body.credentials !== undefined && !isObject(body.credentials))
      )
        return res.status(400).json(badRequest('Expected {id, settings, credentials}.'));
      const stored = typeof body.id === 'string' ? RED.nodes.getCredentials(body.id) : undefined;
      const config = connectionConfig(
        body.settings,
        mergeCredentials(body.credentials, stored),
        'source',
      );
      const { testConnection } = await connector();
      // testConnection never throws: a failure is a result with code, message and hint.
      res.json(await testConnection(config, { signal: signal() }));
    }),
  );

  RED.httpAdmin.post(
    '/imap-connector/test-query',
    RED.auth.needsPermission('imap-read.write'),
    adminRoute(async (req, res) => {
      const body = req.body;
      if (!isObject(body) || !isObject(body.connection) || typeof body.connection.id !== 'string')
        return res.status(400).json(badRequest('Expected {connection: {id, settings}, query}.'));
      const deployed = RED.nodes.getNode(body.connection.id);
      const settings = isObject(body.connection.settings)
        ? body.connection.settings
        : deployed
          ? deployed.settings
          : {};
      const config = connectionConfig(
        settings,
        RED.nodes.getCredentials(body.connection.id) || {},
        'source',
      );
      const { testQuery } = await connector();
      const query = typeof body.query === 'string' && body.query.trim() !== '' ? body.query : 'ALL';
      const select =
        typeof body.select === 'string' && body.select !== '' ? body.select : undefined;
      // Like testConnection, testQuery reports a failure in its result (code, message, hint).
      res.json(await testQuery(config, query, { signal: signal(), ...(select ? { select } : {}) }));
    }),
  );
};
