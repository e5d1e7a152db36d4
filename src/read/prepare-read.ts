import type { Config } from '../config/validate-config.js';
import { makeError } from '../errors.js';
import { invalidHeaderName, isHeaderFieldName } from '../imap/command-line.js';
import {
  dateRangeCriteria,
  renderSearchText,
  toSearchAttributes,
  type SearchAttribute,
} from '../query/render-search.js';
import { folderSelection } from '../query/plan.js';
import type { Criterion, StructuredQuery } from '../query/structured-query.js';
import { toStructuredQuery } from '../query/to-structured-query.js';
import { resolveSelect, type Select, type SelectOptions } from '../rows/select.js';
import { shortHash } from './cursor.js';

/** Everything a read needs that can be known without the server. */
export interface ReadPlan {
  query: StructuredQuery;
  /** The query's criteria plus the connection's start/end dates. */
  criteria: Criterion[];
  /** The query's folder patterns merged with the connection's. */
  folders: StructuredQuery['folders'];
  attributes: SearchAttribute[];
  searchText: string;
  select: Select;
  /** What a cursor is bound to: server host, user, authorization identity (not port or security). */
  account: string;
  /** The search and the folder selection: an import job's identity. */
  queryHash: string;
  /** The search alone: each folder's cursor entry records it. */
  queryDigest: string;
}

/**
 * Compiles query and select, merges the connection's dates and folders, and derives the
 * hashes a cursor is bound to. Pure: runs before any network I/O.
 * @throws QUERY_INVALID for a missing or broken query or select, or a header name that is none.
 */
export function prepareRead(
  config: Config,
  queryInput: string | object | undefined,
  selectOptions: SelectOptions = {},
): ReadPlan {
  const input = queryInput ?? config.query;
  if (input === undefined || (typeof input === 'string' && input.trim() === '')) {
    throw makeError('QUERY_INVALID', 'No query given; write ALL to read every message.', {
      field: '/query',
    });
  }
  const query = toStructuredQuery(input);
  const select = resolveSelect(selectOptions, config.timeout);
  // A header name becomes part of a FETCH command line: checked before any connection.
  const badHeader = select.headers.find(
    (name) => typeof name !== 'string' || !isHeaderFieldName(name),
  );
  if (badHeader !== undefined) throw invalidHeaderName(String(badHeader));
  const criteria = [...query.criteria, ...dateRangeCriteria(config.startDate, config.endDate)];
  const attributes = toSearchAttributes(criteria);
  const folders = folderSelection(query, config);
  return {
    query,
    criteria,
    folders,
    attributes,
    searchText: renderSearchText(attributes),
    select,
    account: shortHash({
      host: config.host.toLowerCase(),
      username: config.username,
      authz: config.authorizationIdentity ?? null,
    }),
    queryHash: shortHash({ criteria, folders }),
    queryDigest: shortHash({ criteria }),
  };
}
