'use strict';
/**
 * imap acknowledge: after the flow has stored the rows, marks them seen, flags, moves or deletes
 * just those messages (by their row ids; UIDVALIDITY-checked, never a plain EXPUNGE).
 * msg.payload: a row, an array of rows, or row ids. It becomes applyActions()'s result.
 *
 * Rows that come one message each (imap read's "one message per row") are one msg.parts
 * sequence per page: by default the node gathers a page and acknowledges it in one call (one
 * login, not one per row), once every row of it arrived or, when the flow dropped some, once
 * none came for the wait. "each message" acts on every message as it comes.
 */
const { connectionOf, connector, serialQueue } = require('./lib/connector-client.js');

const DEFAULT_WAIT_SECONDS = 2;

function idsOf(payload) {
  const items = Array.isArray(payload) ? payload : [payload];
  return items
    .map((item) => (typeof item === 'string' ? item : item && item.id))
    .filter((id) => typeof id === 'string');
}

/** The sequence a message belongs to, when it is one with an id and a count. */
function sequenceOf(msg) {
  const parts = msg.parts;
  if (!parts || typeof parts.id !== 'string' || !Number.isInteger(parts.count)) return undefined;
  return parts;
}

function actionsOf(definition) {
  if (definition.action === 'move') return { moveTo: definition.folder };
  if (definition.action === 'delete') return { delete: true };
  if (definition.action === 'flag')
    return {
      flags: String(definition.flags || '')
        .split(/[\s,]+/)
        .filter(Boolean),
    };
  return { markSeen: true };
}

module.exports = function register(RED) {
  function ImapAcknowledgeNode(definition) {
    RED.nodes.createNode(this, definition);
    const node = this;
    const account = connectionOf(RED, node, definition);
    if (!account) return;
    const actions = actionsOf(definition);
    const perPage = definition.collect !== 'each';
    const wait = Number(definition.wait);
    const waitMs = (Number.isFinite(wait) && wait >= 0 ? wait : DEFAULT_WAIT_SECONDS) * 1000;
    const run = serialQueue(node);
    /** Pages being gathered: sequence id -> {ids, received, msg, send, dones, timer}. */
    const pages = new Map();

    /** Acknowledges `ids` in one call; `msg` is the message the result goes out on. */
    async function acknowledge(ids, msg, send, signal) {
      const { parts, ...rest } = msg;
      const out = perPage && sequenceOf(msg) ? rest : msg;
      if (ids.length === 0) {
        send({ ...out, payload: { acknowledged: 0, refused: 0, folders: [], warnings: [] } });
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
      send({ ...out, payload: result });
    }

    function flush(id) {
      const page = pages.get(id);
      if (!page) return;
      pages.delete(id);
      clearTimeout(page.timer);
      const last = page.dones.pop();
      run(
        (signal) => acknowledge(page.ids, page.msg, page.send, signal),
        (error) => {
          // Every row's message is done; a failure is reported once, on the page's last.
          for (const done of page.dones) done();
          last(error);
        },
      );
    }

    node.on('input', (msg, send, done) => {
      const parts = perPage ? sequenceOf(msg) : undefined;
      if (!parts) {
        run((signal) => acknowledge(idsOf(msg.payload), msg, send, signal), done);
        return;
      }
      const page = pages.get(parts.id) || { ids: [], received: 0, dones: [] };
      pages.set(parts.id, page);
      page.ids.push(...idsOf(msg.payload));
      page.received++;
      page.dones.push(done);
      page.send = send;
      // The result goes out on the message that carries the page's cursor, else the latest.
      if (!page.msg || !(page.msg.imap && page.msg.imap.cursor)) page.msg = msg;
      clearTimeout(page.timer);
      if (page.received >= parts.count) flush(parts.id);
      else page.timer = setTimeout(() => flush(parts.id), waitMs);
    });
    node.on('close', () => {
      // A page not complete when the flow stops is not acknowledged: its rows stay as they are.
      for (const page of pages.values()) {
        clearTimeout(page.timer);
        for (const done of page.dones) done();
      }
      pages.clear();
    });
  }
  RED.nodes.registerType('imap-acknowledge', ImapAcknowledgeNode);
};
