'use strict';
/**
 * "IMAP Connector": read (the next page, or all mail new since the last run: the cursor lives
 * in the workflow's static data), test query, write (store messages without duplicates) and
 * acknowledge (mark seen, flag, move or delete just the rows given). Errors are n8n's
 * NodeOperationError with the connector's code and its hint; "Continue On Fail" turns them
 * into an item with `error`.
 */
const {
  connector,
  connectionConfig,
  idsOf,
  operationError,
  readRows,
  testCredential,
} = require('../lib/connector-client.js');

const show = (operation) => ({ show: { operation: [operation] } });

const PROPERTIES = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    options: [
      {
        name: 'Read',
        value: 'read',
        action: 'Read mail as rows',
        description:
          'Rows of the messages the query finds: all new since the last run, or the next page',
      },
      {
        name: 'Test Query',
        value: 'testQuery',
        action: 'Test a query',
        description: 'The IMAP SEARCH per folder, match counts and sample rows',
      },
      {
        name: 'Write',
        value: 'write',
        action: 'Store messages',
        description: 'Store message sources in a folder, skipping those already there',
      },
      {
        name: 'Acknowledge',
        value: 'acknowledge',
        action: 'Acknowledge rows',
        description: 'Mark seen, flag, move or delete just the messages of rows read before',
      },
    ],
    default: 'read',
  },
  {
    displayName: 'Query',
    name: 'query',
    type: 'string',
    default: 'ALL',
    placeholder: 'FOLDER INBOX UNSEEN SINCE 2024-01-01',
    description: "An IMAP search in the connector's query language (FOLDER picks folders)",
    displayOptions: { show: { operation: ['read', 'testQuery'] } },
  },
  {
    displayName: 'Rows',
    name: 'select',
    type: 'string',
    default: 'envelope',
    description: 'envelope (headers only), text, full, or a JSONata expression over the full row',
    displayOptions: { show: { operation: ['read', 'testQuery'] } },
  },
  {
    displayName: 'Read',
    name: 'mode',
    type: 'options',
    options: [
      { name: 'All Mail New Since the Last Run', value: 'all' },
      { name: 'The Next Page', value: 'page' },
    ],
    default: 'all',
    description:
      'Where the run goes on from is kept in the workflow (its static data): a scheduled run gets only mail that arrived since',
    displayOptions: show('read'),
  },
  {
    displayName: 'Page Size',
    name: 'pageSize',
    type: 'number',
    default: 0,
    typeOptions: { minValue: 0 },
    description: "Messages per page; 0 is the connection's",
    displayOptions: show('read'),
  },
  {
    displayName: 'Start Over',
    name: 'reset',
    type: 'boolean',
    default: false,
    description: 'Whether to forget where the last run stopped and read from the start',
    displayOptions: show('read'),
  },
  {
    displayName: 'Folder',
    name: 'folder',
    type: 'string',
    default: 'INBOX',
    description: 'Where the messages are stored',
    displayOptions: show('write'),
  },
  {
    displayName: 'Source Field',
    name: 'sourceField',
    type: 'string',
    default: 'raw',
    description:
      'The item field with the message source (RFC 5322 text, or base64 with the encoding field "base64" as a row read with raw has)',
    displayOptions: show('write'),
  },
  {
    displayName: 'Action',
    name: 'action',
    type: 'options',
    options: [
      { name: 'Mark Seen', value: 'markSeen' },
      { name: 'Add Flags', value: 'flag' },
      { name: 'Move to Folder', value: 'move' },
      { name: 'Delete', value: 'delete' },
    ],
    default: 'markSeen',
    displayOptions: show('acknowledge'),
  },
  {
    displayName: 'Flags',
    name: 'flags',
    type: 'string',
    default: '',
    placeholder: '\\Flagged $Processed',
    displayOptions: { show: { operation: ['acknowledge'], action: ['flag'] } },
  },
  {
    displayName: 'To Folder',
    name: 'moveTo',
    type: 'string',
    default: 'Processed',
    displayOptions: { show: { operation: ['acknowledge'], action: ['move'] } },
  },
];

function actionsOf(ctx) {
  const action = ctx.getNodeParameter('action', 0);
  if (action === 'move') return { moveTo: ctx.getNodeParameter('moveTo', 0) };
  if (action === 'delete') return { delete: true };
  if (action === 'flag')
    return {
      flags: String(ctx.getNodeParameter('flags', 0))
        .split(/[\s,]+/)
        .filter(Boolean),
    };
  return { markSeen: true };
}

/** Each input item's message source, as write() takes it. */
function messagesOf(ctx, items) {
  const field = ctx.getNodeParameter('sourceField', 0);
  return items.map((item, index) => {
    const value = item.json[field];
    if (typeof value !== 'string' || value === '')
      throw Object.assign(new Error(`Item ${index} has no message source in "${field}".`), {
        itemIndex: index,
      });
    const encoding = item.json.encoding === 'base64' ? undefined : 'utf8';
    return { raw: value, ...(encoding ? { encoding } : {}) };
  });
}

async function run(ctx, operation, items) {
  const credential = await ctx.getCredentials('imapConnectorApi');
  const config = connectionConfig(credential, operation === 'write' ? 'target' : 'source');
  const signal =
    typeof ctx.getExecutionCancelSignal === 'function' ? ctx.getExecutionCancelSignal() : undefined;
  const runtime = await connector();
  if (operation === 'read') {
    const staticData = ctx.getWorkflowStaticData('node');
    const read = await readRows(config, ctx.getNodeParameter('query', 0), staticData, {
      mode: ctx.getNodeParameter('mode', 0),
      select: ctx.getNodeParameter('select', 0),
      pageSize: ctx.getNodeParameter('pageSize', 0) || undefined,
      reset: ctx.getNodeParameter('reset', 0),
      signal,
    });
    for (const warning of read.warnings) ctx.logger.warn(String(warning.message || warning));
    read.commit();
    return read.rows.map((row) => ({ json: row }));
  }
  if (operation === 'testQuery') {
    const result = await runtime.testQuery(config, ctx.getNodeParameter('query', 0), {
      select: ctx.getNodeParameter('select', 0),
      signal,
    });
    return [{ json: result }];
  }
  if (operation === 'write') {
    const result = await runtime.write(
      config,
      { folder: ctx.getNodeParameter('folder', 0), messages: messagesOf(ctx, items) },
      { signal },
    );
    return [{ json: result }];
  }
  const ids = items.flatMap((item) => idsOf(item.json.id ?? item.json.ids ?? item.json));
  if (ids.length === 0)
    return [{ json: { acknowledged: 0, refused: 0, folders: [], warnings: [] } }];
  const result = await runtime.applyActions(config, { ids, ...actionsOf(ctx) }, { signal });
  return [{ json: result }];
}

class ImapConnector {
  constructor() {
    this.description = {
      displayName: 'IMAP Connector',
      name: 'imapConnector',
      icon: 'file:imapConnector.svg',
      group: ['input'],
      version: 1,
      subtitle: '={{$parameter["operation"]}}',
      description:
        'Read mail from any IMAP server as rows, only new mail on each run; write and acknowledge messages',
      defaults: { name: 'IMAP Connector' },
      inputs: ['main'],
      outputs: ['main'],
      credentials: [{ name: 'imapConnectorApi', required: true, testedBy: 'imapConnectorTest' }],
      properties: PROPERTIES,
    };
    this.methods = { credentialTest: { imapConnectorTest: testCredential } };
  }

  async execute() {
    const items = this.getInputData();
    const operation = this.getNodeParameter('operation', 0);
    try {
      return [await run(this, operation, items)];
    } catch (error) {
      if (this.continueOnFail()) {
        const json =
          error && typeof error.toJSON === 'function'
            ? error.toJSON()
            : { message: String(error && error.message) };
        return [[{ json: { error: json } }]];
      }
      throw operationError(this.getNode(), error, error && error.itemIndex);
    }
  }
}

module.exports = { ImapConnector };
