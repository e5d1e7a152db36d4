import {
  byMessageIdKey,
  contentHashIn,
  contentHashOf,
  type DedupeMode,
  type MessageIdentity,
} from './message-identity.js';
import { DigestSet, DigestUids } from './digest-set.js';

/** What a destination folder already holds, asked a batch at a time. */
export interface DedupeIndex {
  /** For each message, whether the folder already holds it (per the dedupe mode). */
  contains(identities: readonly MessageIdentity[]): Promise<boolean[]>;
  /**
   * Records a message just stored, so the same run does not store it twice. `uid`, its UID at
   * the destination (APPENDUID), lets a message without a content hash be compared by its body
   * there, as a message found there at the start is.
   */
  add(identity: MessageIdentity, uid?: number): void;
}

/** Reads the bodies (as BODY[TEXT]) of the given UIDs; only called for likely duplicates. */
export type BodyReader = (uids: number[]) => Promise<Map<number, Buffer>>;

/** One existing message, as its header fields describe it. */
export interface IndexedMessage {
  uid: number;
  messageIdKey: string | undefined;
  headerDigest: string;
}

/**
 * The index of one folder built from a single bulk FETCH of header fields (PITFALLS 7: one
 * SEARCH per message takes ~0.5 s at 100k messages). Message-ID keys answer at once; a message
 * that needs the content hash is compared only with messages whose Date/From/To/Cc/Subject
 * digest is the same, and only their bodies are read, all of a batch in one FETCH.
 */
export class HeaderDedupeIndex implements DedupeIndex {
  private readonly messageIdKeys = new DigestSet();
  private readonly byHeaderDigest = new DigestUids();
  private readonly contentHashes = new DigestSet();
  private readonly hashedUids = new Set<number>();

  constructor(
    private readonly mode: DedupeMode,
    existing: Iterable<IndexedMessage>,
    private readonly readBodies: BodyReader,
  ) {
    for (const message of existing) {
      if (message.messageIdKey !== undefined) this.messageIdKeys.add(message.messageIdKey);
      this.indexed(message.headerDigest, message.uid);
    }
  }

  async contains(identities: readonly MessageIdentity[]): Promise<boolean[]> {
    if (this.mode === 'none') return identities.map(() => false);
    // Candidate UID -> its header digest (the same as the identity's that found it).
    const unhashed = new Map<number, string>();
    for (const identity of identities) {
      if (byMessageIdKey(identity, this.mode) || this.contentHashes.has(contentHashIn(identity)))
        continue;
      for (const uid of this.byHeaderDigest.get(identity.headerDigest))
        if (!this.hashedUids.has(uid)) unhashed.set(uid, identity.headerDigest);
    }
    if (unhashed.size > 0) {
      const bodies = await this.readBodies([...unhashed.keys()].sort((a, b) => a - b));
      for (const [uid, digest] of unhashed) {
        const body = bodies.get(uid);
        if (body !== undefined) this.contentHashes.add(contentHashOf(digest, body));
        this.hashedUids.add(uid);
      }
    }
    return identities.map((identity) =>
      byMessageIdKey(identity, this.mode)
        ? this.messageIdKeys.has(identity.messageIdKey)
        : this.contentHashes.has(contentHashIn(identity)),
    );
  }

  add(identity: MessageIdentity, uid?: number): void {
    if (identity.messageIdKey !== undefined) this.messageIdKeys.add(identity.messageIdKey);
    if (identity.contentHash !== undefined) this.contentHashes.add(identity.contentHash);
    else if (uid !== undefined) this.indexed(identity.headerDigest, uid);
  }

  /** A message at the destination whose body is read only should a look-alike need it. */
  private indexed(headerDigest: string, uid: number): void {
    this.byHeaderDigest.add(headerDigest, uid);
  }
}
