'use strict';
/**
 * imap read: each input message pulls the next page of the query's rows, or all new mail. The
 * cursor lives in the node's context (choose a file-backed context store to keep it across
 * restarts): once a run has read everything, the next input reads only what arrived since.
 * Rows go out one message per row or one per page; the cursor is saved after they were sent.
 */
const { connector, contextStore, serialInput } = require('./lib/connector-client.js');

const CURSOR_KEY = 'imapConnectorCursor';

module.exports = function register(RED) {
  function ImapReadNode(definition) {
    RED.nodes.createNode(this, definition);
    const node = this;
    const account = RED.nodes.getNode(definition.connection);
    const query = definition.query && definition.query.trim() !== '' ? definition.query : 'ALL';
    const select = definition.select || 'envelope';
    const mode = definition.mode === 'all' ? 'all' : 'page';
    const output = definition.output === 'page' ? 'page' : 'row';
    const pageSize = Number(definition.pageSize) > 0 ? Number(definition.pageSize) : undefined;
    const state = contextStore(node, definition.store);
    if (!account) {
      node.status({ fill: 'red', shape: 'ring', text: 'no connection' });
      return;
    }
    node.status({});

    function rowMessage(msg, payload, extra) {
      return { ...msg, _msgid: RED.util.generateId(), payload, ...extra };
    }

    serialInput(node, async (msg, send, signal) => {
      if (msg.reset === true) await state.set(CURSOR_KEY, undefined);
      const cursor = await state.get(CURSOR_KEY);
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
      const emit = (rows, done) => {
        if (rows.length === 0) return;
        count += rows.length;
        if (output === 'page') send(rowMessage(msg, rows, { imap: { done } }));
        else for (const row of rows) send(rowMessage(msg, row, { topic: row.folder }));
      };
      let done = false;
      if (mode === 'page') {
        const page = await read(config, query, options);
        for (const warning of page.warnings) node.warn(warning);
        emit(page.rows, page.done);
        await state.set(CURSOR_KEY, page.cursor);
        done = page.done;
      } else {
        let pending = [];
        const stream = readStream(config, query, {
          ...options,
          onCheckpoint: async (checkpoint) => {
            for (const warning of checkpoint.warnings) node.warn(warning);
            emit(pending, checkpoint.done);
            pending = [];
            await state.set(CURSOR_KEY, checkpoint.cursor);
          },
        });
        for await (const row of stream) pending.push(row);
        done = true;
      }
      node.status({ fill: 'green', shape: 'dot', text: `${count} rows${done ? '' : ', more'}` });
    });
  }
  RED.nodes.registerType('imap-read', ImapReadNode);
};
