/**
 * imapflow 2.1.2 rejects every command still queued when a connection closes (its
 * closeRequests(), "rejectedFrom: pendingRequest"), and one of them (seen: an LSUB inside
 * list(), cut by a server restart) can reach nobody: the operation that sent it has already
 * failed on the same close and been retried or reported. Node would end the process on that
 * rejection; a long `read --watch` must not die of it.
 */
export function isAbandonedCommandRejection(reason: unknown): boolean {
  if (typeof reason !== 'object' || reason === null) return false;
  const { code, rejectedFrom } = reason as { code?: unknown; rejectedFrom?: unknown };
  return code === 'NoConnection' && rejectedFrom === 'pendingRequest';
}
