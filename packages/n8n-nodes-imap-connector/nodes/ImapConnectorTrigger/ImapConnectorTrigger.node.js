'use strict';
/**
 * "IMAP Connector Trigger": polls on n8n's schedule and starts the workflow with the mail that
 * arrived since the last poll, one item per message (the cursor in the workflow's static data;
 * the first poll starts from now unless "Start With Existing Mail" is on).
 */
const {
  connectionConfig,
  operationError,
  readRows,
  testCredential,
} = require('../lib/connector-client.js');

class ImapConnectorTrigger {
  constructor() {
    this.description = {
      displayName: 'IMAP Connector Trigger',
      name: 'imapConnectorTrigger',
      icon: 'file:../ImapConnector/imapConnector.svg',
      group: ['trigger'],
      version: 1,
      description: 'Starts the workflow with the mail that arrived since the last poll',
      defaults: { name: 'IMAP Connector Trigger' },
      polling: true,
      inputs: [],
      outputs: ['main'],
      credentials: [{ name: 'imapConnectorApi', required: true, testedBy: 'imapConnectorTest' }],
      properties: [
        {
          displayName: 'Query',
          name: 'query',
          type: 'string',
          default: 'FOLDER INBOX ALL',
          description: "An IMAP search in the connector's query language (FOLDER picks folders)",
        },
        {
          displayName: 'Rows',
          name: 'select',
          type: 'string',
          default: 'envelope',
          description:
            'envelope (headers only), text, full, or a JSONata expression over the full row',
        },
        {
          displayName: 'Start With Existing Mail',
          name: 'existing',
          type: 'boolean',
          default: false,
          description:
            'Whether the first poll gives the mail already there (else only mail that arrives after it)',
        },
      ],
    };
    this.methods = { credentialTest: { imapConnectorTest: testCredential } };
  }

  async poll() {
    const staticData = this.getWorkflowStaticData('node');
    const credential = await this.getCredentials('imapConnectorApi');
    const config = connectionConfig(credential, 'source');
    const first = !staticData.cursor;
    try {
      const read = await readRows(config, this.getNodeParameter('query'), staticData, {
        mode: 'all',
        select: this.getNodeParameter('select'),
      });
      read.commit();
      // A manual test shows what there is; a first real poll without "existing" only marks now.
      if (first && !this.getNodeParameter('existing') && this.getMode() !== 'manual') return null;
      if (read.rows.length === 0) return null;
      return [read.rows.map((row) => ({ json: row }))];
    } catch (error) {
      throw operationError(this.getNode(), error);
    }
  }
}

module.exports = { ImapConnectorTrigger };
