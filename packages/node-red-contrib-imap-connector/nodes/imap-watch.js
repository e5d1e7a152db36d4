'use strict';
/**
 * imap watch: new mail as it arrives, with no inject. On deploy it reads everything after its
 * cursor (all mail the first time), then waits with IDLE and sends each new message within a
 * second of its arrival, until the flow stops. Every wake-up, IDLE restart and reconnect reads
 * from the cursor, so mail that came while the server or the flow was away comes next, once.
 * The cursor lives in the node's context (a file-backed store keeps it across restarts) and
 * moves after a page's rows have been sent. With "changes", flag changes and deletions come too,
 * msg.topic saying insert, update or delete.
 */
const {
  CURSOR_KEY,
  connectionOf,
  connector,
  contextStore,
  errorStatus,
  nodeError,
  queryOf,
  topicOf,
} = require('./lib/connector-client.js');

module.exports = function register(RED) {
  function ImapWatchNode(definition) {
    RED.nodes.createNode(this, definition);
    const node = this;
    const account = connectionOf(RED, node, definition);
    if (!account) return;
    const query = queryOf(definition);
    const state = contextStore(node, definition.store);
    const changes = definition.changes === true || definition.changes === 'true';
    const controller = new AbortController();
    let count = 0;
    const watching = () =>
      node.status({ fill: 'green', shape: 'ring', text: `watching, ${count} rows` });

    const running = (async () => {
      const { watch } = await connector();
      const cursor = await state.get(CURSOR_KEY);
      node.status({ fill: 'blue', shape: 'dot', text: 'reading' });
      await watch(account.connectorConfig('source'), query, {
        signal: controller.signal,
        select: definition.select || 'envelope',
        restartChangedFolders: true,
        ...(changes ? { changes: true } : {}),
        ...(cursor ? { cursor } : {}),
        onRows: async ({ rows, cursor: next }) => {
          // With changes, the topic says what to do with the row: insert, update or delete.
          for (const row of rows)
            node.send({
              _msgid: RED.util.generateId(),
              topic: topicOf(row),
              payload: row,
            });
          count += rows.length;
          await state.set(CURSOR_KEY, next);
          watching();
        },
        onReconnect: (error, waitMs) =>
          node.status({
            fill: 'yellow',
            shape: 'ring',
            text: `${error.code}: again in ${Math.round(waitMs / 1000)} s`,
          }),
      });
    })();
    running.then(
      () => undefined,
      (error) => {
        node.status(errorStatus(error));
        node.error(nodeError(error));
      },
    );
    // The first read's status stays until the watch is waiting.
    setTimeout(() => !controller.signal.aborted && count === 0 && watching(), 2000).unref();

    node.on('close', (_removed, done) => {
      controller.abort();
      running.finally(() => done());
    });
  }
  RED.nodes.registerType('imap-watch', ImapWatchNode);
};
