/**
 * How much of one message the connector takes apart: the one place its parsers' limits live
 * (issue 24). Generous for real mail; what exceeds them is a failure of that message alone,
 * never of its folder or mailbox: its row carries an `error` and the fields that could be read,
 * an import still copies its bytes (an IMAP destination needs no parse) or lists it.
 */
export const MESSAGE_LIMITS = {
  /**
   * MIME levels (multipart and message/rfc822) read from BODYSTRUCTURE. Dovecot itself stops
   * parsing at 100 levels (a message nested 10,000 deep comes back 100 deep).
   */
  mimeDepth: 128,
  /** MIME parts in one message; Dovecot stops at 10,000 as well. */
  mimeParts: 10_000,
  /** Addresses kept per address field (To, Cc, ...); the row lists the first ones. */
  addressesPerField: 10_000,
  /** MIME sections one message may have fetched part by part; beyond, its source is read whole. */
  sectionsPerMessage: 64,
  /** Bytes of one header field unfolded; a longer one is left out of the row. */
  headerFieldBytes: 1024 * 1024,
} as const;

/**
 * Nesting of parenthesised lists in one IMAP response the tokenizer follows: a bound on a
 * server, far above what any MIME limit needs (a response nested deeper names its UID and fails
 * alone, see fetch-response-parser.ts).
 */
export const MAX_LIST_DEPTH = 10_000;

/** Why one message could not be read as a whole: a code a host can branch on, and a sentence. */
export interface MessageProblem {
  code: 'MESSAGE_UNPARSABLE' | 'MESSAGE_UNAVAILABLE';
  message: string;
}
