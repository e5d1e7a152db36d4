/**
 * What write() returns, and what a failed one had stored: a module of its own, so a host that
 * loads the runtime gets partialWriteResults without the IMAP write path (imapflow).
 */
import { isConnectorError, type ConnectorErrorJson } from '../errors.js';

export interface WriteMessageResult {
  /** Position in input.messages. */
  index: number;
  status: 'stored' | 'duplicate' | 'failed';
  /** The new UID, when the server reports it (UIDPLUS). */
  uid?: number;
  /** Its flags the folder cannot keep (not in its PERMANENTFLAGS): stored without them. */
  flagsLeftOut?: string[];
  error?: ConnectorErrorJson;
}

export interface WriteResult {
  folder: string;
  /** The folder did not exist and was created. */
  created: boolean;
  stored: number;
  duplicates: number;
  failed: number;
  results: WriteMessageResult[];
}

/** The per-message results a failed write() had before it stopped (details.results), if any. */
export function partialWriteResults(error: unknown): WriteMessageResult[] | undefined {
  const results = isConnectorError(error) ? error.details?.results : undefined;
  return Array.isArray(results) ? (results as WriteMessageResult[]) : undefined;
}
