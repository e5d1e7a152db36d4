'use strict';
/**
 * The IMAP account as an n8n credential. Its fields are the connector's connection fields
 * (connection-form.json, generated from connector.json by npm run manifest); secrets are n8n
 * password fields, kept encrypted by n8n. Test Connection is the nodes' credentialTest
 * (`testedBy`), which logs in and lists the folders.
 */
const { properties } = require('./connection-form.json');

class ImapConnectorApi {
  constructor() {
    this.name = 'imapConnectorApi';
    this.displayName = 'IMAP Connector account';
    this.documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-imap-connector';
    this.properties = properties;
  }
}

module.exports = { ImapConnectorApi };
