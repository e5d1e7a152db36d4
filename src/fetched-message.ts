import type { FetchMessageObject } from 'imapflow';
import type { MessageProblem } from './message-limits.js';

/**
 * The parts of a FETCH answer the connector uses, in imapflow's message shape, with the full
 * source when BODY[] was asked for. Shared by the protocol layer (which produces it) and rows
 * (which read it); a type only, so nothing loads imapflow.
 */
export type FetchedMessage = Pick<
  FetchMessageObject,
  | 'uid'
  | 'flags'
  | 'internalDate'
  | 'size'
  | 'envelope'
  | 'bodyStructure'
  | 'headers'
  | 'labels'
  | 'threadId'
  | 'bodyParts'
> & {
  source?: Buffer;
  /** The subject and address header fields, fetched when the ENVELOPE cannot be trusted. */
  envelopeHeaders?: Buffer;
  /**
   * Why the message could not be read whole (a structure beyond the limits, or a FETCH that
   * failed for it alone): its row carries it as `error`, with the fields that were read.
   */
  problem?: MessageProblem;
};

/** The FETCH items as message fields (RFC 3501 section 6.4.5; headers are HEADER.FIELDS). */
export const MESSAGE_FIELDS = [
  'uid',
  'flags',
  'internalDate',
  'size',
  'envelope',
  'bodyStructure',
  'labels',
  'threadId',
  'source',
  'headers',
  'bodyParts',
] as const;

/**
 * A message's INTERNALDATE as a Date; one the server wrote unreadably is left to the
 * destination rather than sent as NaN.
 */
export function internalDateOf(message: Pick<FetchedMessage, 'internalDate'>): Date | undefined {
  const date = message.internalDate === undefined ? undefined : new Date(message.internalDate);
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
