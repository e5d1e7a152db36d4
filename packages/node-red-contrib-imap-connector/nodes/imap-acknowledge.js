'use strict';
/**
 * imap acknowledge: after the flow has stored the rows, marks them seen, flags, moves or deletes
 * just those messages (by their row ids; UIDVALIDITY-checked, never a plain EXPUNGE).
 * msg.payload: a row, an array of rows, or row ids. It becomes applyActions()'s result.
 */
const { connector, serialInput } = require('./lib/connector-client.js');

function idsOf(payload) {
  const items = Array.isArray(payload) ? payload : [payload];
  return items
    .map((item) => (typeof item === 'string' ? item : item && item.id))
    .filter((id) => typeof id === 'string');
}

module.exports = function register(RED) {
  function ImapAcknowledgeNode(definition) {
    RED.nodes.createNode(this, definition);
    const node = this;
    const account = RED.nodes.getNode(definition.connection);
    if (!account) {
      node.status({ fill: 'red', shape: 'ring', text: 'no connection' });
      return;
    }
    const actions = {};
    if (definition.action === 'move') actions.moveTo = definition.folder;
    else if (definition.action === 'delete') actions.delete = true;
    else if (definition.action === 'flag')
      actions.flags = String(definition.flags || '')
        .split(/[\s,]+/)
        .filter(Boolean);
    else actions.markSeen = true;
    serialInput(node, async (msg, send, signal) => {
      const ids = idsOf(msg.payload);
      if (ids.length === 0) {
        send({ ...msg, payload: { acknowledged: 0, refused: 0, folders: [], warnings: [] } });
        return;
      }
      const { applyActions } = await connector();
      const result = await applyActions(
        account.connectorConfig('source'),
        { ids, ...actions },
        { signal },
      );
      // The rows are done with: the read node that sent them may now save its cursor.
      const from = msg.imap && RED.nodes.getNode(msg.imap.readNode);
      if (from && typeof from.acknowledged === 'function' && msg.imap.cursor)
        await from.acknowledged(msg.imap.cursor);
      node.status({ fill: 'green', shape: 'dot', text: `${ids.length} acknowledged` });
      send({ ...msg, payload: result });
    });
  }
  RED.nodes.registerType('imap-acknowledge', ImapAcknowledgeNode);
};
