/**
 * The structured query of schemas/query.schema.json: what query text compiles to, and what a
 * host may pass directly as JSON. Criteria are ANDed, as IMAP SEARCH keys are.
 */
export type FlagKey =
  | 'ALL'
  | 'ANSWERED'
  | 'DELETED'
  | 'DRAFT'
  | 'FLAGGED'
  | 'NEW'
  | 'OLD'
  | 'RECENT'
  | 'SEEN'
  | 'UNANSWERED'
  | 'UNDELETED'
  | 'UNDRAFT'
  | 'UNFLAGGED'
  | 'UNSEEN';
export type StringKey = 'BCC' | 'BODY' | 'CC' | 'FROM' | 'SUBJECT' | 'TEXT' | 'TO';
export type DateKey = 'BEFORE' | 'ON' | 'SINCE' | 'SENTBEFORE' | 'SENTON' | 'SENTSINCE';
export type SizeKey = 'LARGER' | 'SMALLER';
export type KeywordKey = 'KEYWORD' | 'UNKEYWORD';

export type Criterion =
  | { key: FlagKey }
  | { key: StringKey; value: string }
  | { key: DateKey; date: string }
  | { key: SizeKey; size: number }
  | { key: KeywordKey; keyword: string }
  | { key: 'HEADER'; field: string; value: string }
  | { key: 'UID'; set: string }
  | { key: 'SEQ'; set: string }
  | { key: 'X-GM-RAW'; value: string }
  | { key: 'NOT'; operand: Criterion }
  | { key: 'OR'; left: Criterion; right: Criterion }
  | { key: 'AND'; operands: Criterion[] };

export interface StructuredQuery {
  /** ANDed criteria; [{ key: 'ALL' }] to match everything (an empty list is refused). */
  criteria: Criterion[];
  folders: {
    /** Folder names or patterns (* any text, % any text but the separator) or special use (\Sent). */
    include: string[];
    exclude: string[];
  };
  /** Most rows per run over all folders; null for no limit. */
  limit: number | null;
}

export const FLAG_KEYS: readonly FlagKey[] = [
  'ALL',
  'ANSWERED',
  'DELETED',
  'DRAFT',
  'FLAGGED',
  'NEW',
  'OLD',
  'RECENT',
  'SEEN',
  'UNANSWERED',
  'UNDELETED',
  'UNDRAFT',
  'UNFLAGGED',
  'UNSEEN',
];
export const STRING_KEYS: readonly StringKey[] = [
  'BCC',
  'BODY',
  'CC',
  'FROM',
  'SUBJECT',
  'TEXT',
  'TO',
];
export const DATE_KEYS: readonly DateKey[] = [
  'BEFORE',
  'ON',
  'SINCE',
  'SENTBEFORE',
  'SENTON',
  'SENTSINCE',
];
export const SIZE_KEYS: readonly SizeKey[] = ['LARGER', 'SMALLER'];
export const KEYWORD_KEYS: readonly KeywordKey[] = ['KEYWORD', 'UNKEYWORD'];
