/**
 * Plain-language descriptions of what a schema node accepts, for error messages. They live
 * here, not as custom keywords in the schemas, so that the exported schemas compile in any
 * host's stock Ajv (strict mode rejects unknown keywords). Keyed by schema file and the
 * JSON Pointer of the node; test/contract/schemas.test.ts checks every pointer resolves.
 */
export const SCHEMA_HINTS: Record<string, Record<string, string>> = {
  'connection.schema.json': {
    '/properties/server': 'a host name, an IP address or an imap:// / imaps:// URL',
    '/properties/ca': 'PEM text containing -----BEGIN CERTIFICATE-----',
    '/properties/oauth2TokenUrl': 'an http:// or https:// URL',
    '/properties/dateTimeFormat': 'ISO8601, epochMillis or a pattern such as yyyy-MM-dd HH:mm:ss',
    '/properties/startDate': 'a date as yyyymmdd or ISO 8601 (2024-01-31)',
    '/properties/endDate': 'a date as yyyymmdd or ISO 8601 (2024-01-31)',
    '/properties/delayBetweenMessages':
      'seconds from 0 to 3600, as a number (0.5) or a fraction (1/2)',
    '/allOf/2/then':
      'oauth2AccessToken is required when authMethod is oauth2, unless oauth2RefreshToken, oauth2ClientId and oauth2TokenUrl are all given',
  },
  'actions.schema.json': {
    '': 'say what to do with the messages: markSeen, flags, moveTo or delete',
    '/properties/flags/items': 'an IMAP flag or keyword: no spaces, no ( ) { % * " ]',
  },
  'batch.schema.json': {
    '/properties/name':
      'letters, digits, spaces, . _ - (up to 100), starting with a letter or digit',
    '/properties/destination':
      'destination needs either archive (a file path) or imap (a server), not both',
    '/properties/mailboxes': 'mailboxes needs either csv (a file path) or masterUser, not both',
    '/properties/mailboxes/properties/masterUser':
      'masterUser needs one of users (a list), usersFile (a file path) or ldap (a directory)',
    '/properties/notify/properties/webhook/properties/url': 'an http:// or https:// URL',
    '/properties/destination/properties/domain': 'a domain name such as example.com',
    '/properties/notify/properties/webhook/properties/authorizationEnv':
      'the name of an environment variable: letters, digits and _, not starting with a digit',
    '/properties/notify/properties/webhook/properties/signingSecretEnv':
      'the name of an environment variable: letters, digits and _, not starting with a digit',
    '/properties/destination/properties/provision/properties/authorizationEnv':
      'the name of an environment variable: letters, digits and _, not starting with a digit',
    '/properties/destination/properties/provision/properties/signingSecretEnv':
      'the name of an environment variable: letters, digits and _, not starting with a digit',
    '/properties/destination/properties/provision':
      'provision needs either command (an executable and its arguments) or webhook (a URL), not both',
  },
  'import.schema.json': {
    '/properties/destination':
      'destination needs either archive (a file path) or connection and state',
    '/properties/postReadAction/properties/keyword':
      'an IMAP keyword: no spaces, no ( ) { % * " ] and not starting with \\',
  },
  'write.schema.json': {
    '/properties/messages/items/properties/flags/items':
      'an IMAP flag or keyword: no spaces, no ( ) { % * " ]',
  },
};

/** The node a JSON Pointer names inside `root`, or undefined. */
export function nodeAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** "when authMethod is password" for an `if` that tests one property against a constant. */
export function conditionText(ifSchema: unknown): string | undefined {
  const properties = (ifSchema as { properties?: Record<string, { const?: unknown }> })?.properties;
  const tests = Object.entries(properties ?? {}).filter(([, node]) => 'const' in (node ?? {}));
  if (tests.length === 0) return undefined;
  return 'when ' + tests.map(([name, node]) => `${name} is ${String(node.const)}`).join(' and ');
}

/**
 * Records schema node -> hint for every node of `schema` that has one: the table above, and
 * the `then` of each if/then pair, described by its condition.
 */
export function addHints(file: string, schema: object, hints: WeakMap<object, string>): void {
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const pair = node as { if?: unknown; then?: unknown };
    if (typeof pair.then === 'object' && pair.then !== null) {
      const text = conditionText(pair.if);
      if (text) hints.set(pair.then, text);
    }
    Object.values(node).forEach(visit);
  };
  visit(schema);
  for (const [pointer, hint] of Object.entries(SCHEMA_HINTS[file] ?? {})) {
    const node = nodeAt(schema, pointer);
    if (typeof node === 'object' && node !== null) hints.set(node, hint);
  }
}
