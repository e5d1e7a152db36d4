'use strict';
/**
 * imap read: each input message pulls the next page of the query's rows, or all new mail. The
 * cursor lives in the node's context (choose a file-backed context store to keep it across
 * restarts): once a run has read everything, the next input reads only what arrived since.
 * With the connection's Changes field, msg.topic says what to do with each row: insert, update
 * or delete (the change feed). Rows go out one message per row (a page's rows one msg.parts sequence) or one per page. The cursor is saved when they were sent, or
 * (saveCursor "acknowledged") only when imap acknowledge confirms the page's last row: a flow
 * that dies before storing rows then gets them again.
 */
const {
  CURSOR_KEY,
  connectionOf,
  connector,
  contextStore,
  queryOf,
  serialInput,
  topicOf,
} = require('./lib/connector-client.js');

module.exports = function register(RED) {
  function ImapReadNode(definition) {
    RED.nodes.createNode(this, definition);
    const node = this;
    const account = connectionOf(RED, node, definition);
    const query = queryOf(definition);
    const select = definition.select || 'envelope';
    const mode = definition.mode === 'all' ? 'all' : 'page';
    const output = definition.output === 'page' ? 'page' : 'row';
    const pageSize = Number(definition.pageSize) > 0 ? Number(definition.pageSize) : undefined;
    const state = contextStore(node, definition.store);
    const onAcknowledge = definition.saveCursor === 'acknowledged';
    // Acknowledge mode: where the next pull goes on from, ahead of the saved cursor.
    let pending;
    /** imap acknowledge confirmed a page: its cursor becomes the saved one. */
    node.acknowledged = (cursor) => state.set(CURSOR_KEY, cursor);
    if (!account) return;
    node.status({});

    function rowMessage(msg, payload, extra) {
      return { ...msg, _msgid: RED.util.generateId(), payload, ...extra };
    }

    serialInput(node, async (msg, send, signal) => {
      if (msg.reset === true) {
        pending = undefined;
        await state.set(CURSOR_KEY, undefined);
      }
      const cursor = pending ?? (await state.get(CURSOR_KEY));
      const config = account.connectorConfig('source');
      const options = {
        signal,
        select,
        restartChangedFolders: true,
        ...(cursor ? { cursor } : {}),
        ...(pageSize ? { pageSize } : {}),
        ...(definition.raw ? { raw: true } : {}),
      };
      const { read, readStream } = await connector();
      node.status({ fill: 'blue', shape: 'dot', text: 'reading' });
      let count = 0;
      /** Sends a page's rows; in acknowledge mode the last message carries the page's cursor. */
      const emit = (rows, done, after) => {
        if (rows.length === 0) return;
        count += rows.length;
        const ack = onAcknowledge ? { cursor: after, readNode: node.id } : {};
        if (output === 'page') send(rowMessage(msg, rows, { imap: { done, ...ack } }));
        else {
          // A page's rows are one sequence in Node-RED's convention (msg.parts, as split makes):
          // imap acknowledge and join put the page together again.
          const page = RED.util.generateId();
          rows.forEach((row, i) =>
            send(
              rowMessage(msg, row, {
                topic: topicOf(row),
                parts: {
                  id: page,
                  index: i,
                  count: rows.length,
                  type: 'array',
                  ...(msg.parts ? { parts: msg.parts } : {}),
                },
                ...(i === rows.length - 1 && onAcknowledge ? { imap: ack } : {}),
              }),
            ),
          );
        }
      };
      const saved = async (after) => {
        if (onAcknowledge) pending = after;
        else await state.set(CURSOR_KEY, after);
      };
      let done = false;
      if (mode === 'page') {
        const page = await read(config, query, options);
        for (const warning of page.warnings) node.warn(warning);
        emit(page.rows, page.done, page.cursor);
        await saved(page.cursor);
        done = page.done;
      } else {
        let rows = [];
        const stream = readStream(config, query, {
          ...options,
          onCheckpoint: async (checkpoint) => {
            for (const warning of checkpoint.warnings) node.warn(warning);
            emit(rows, checkpoint.done, checkpoint.cursor);
            rows = [];
            await saved(checkpoint.cursor);
          },
        });
        for await (const row of stream) rows.push(row);
        done = true;
      }
      node.status({ fill: 'green', shape: 'dot', text: `${count} rows${done ? '' : ', more'}` });
    });
  }
  RED.nodes.registerType('imap-read', ImapReadNode);
};
