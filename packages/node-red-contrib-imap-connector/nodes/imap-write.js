'use strict';
/**
 * imap write: stores msg.payload (a message's source as a Buffer or text, a row read with raw,
 * or an array of those) in a folder of the account, skipping messages already there.
 * msg.payload becomes write()'s result: stored, duplicates, failed, per message.
 */
const { connectionOf, connector, serialInput } = require('./lib/connector-client.js');

function toMessage(item) {
  if (Buffer.isBuffer(item)) return { raw: item.toString('base64') };
  if (typeof item === 'string') return { raw: item, encoding: 'utf8' };
  if (item && typeof item === 'object' && typeof item.raw === 'string') {
    const message = { raw: item.raw };
    if (item.encoding) message.encoding = item.encoding;
    if (Array.isArray(item.flags)) message.flags = item.flags;
    if (item.internalDate !== undefined) message.internalDate = item.internalDate;
    return message;
  }
  throw Object.assign(
    new Error(
      'msg.payload must be a message source (Buffer or text), a row read with "raw", or an array of those.',
    ),
    { code: 'CONFIG_INVALID' },
  );
}

module.exports = function register(RED) {
  function ImapWriteNode(definition) {
    RED.nodes.createNode(this, definition);
    const node = this;
    const account = connectionOf(RED, node, definition);
    if (!account) return;
    serialInput(node, async (msg, send, signal) => {
      const items = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
      const folder =
        typeof msg.folder === 'string' && msg.folder !== ''
          ? msg.folder
          : definition.folder || 'INBOX';
      const { write } = await connector();
      node.status({ fill: 'blue', shape: 'dot', text: 'writing' });
      const result = await write(
        account.connectorConfig('target'),
        { folder, messages: items.map(toMessage) },
        { signal },
      );
      node.status({
        fill: 'green',
        shape: 'dot',
        text: `${result.stored} stored, ${result.duplicates} already there`,
      });
      send({ ...msg, payload: result });
    });
  }
  RED.nodes.registerType('imap-write', ImapWriteNode);
};
