// libmime ships no types: the one call the connector makes of it (imap/envelope.ts, through
// imap/imapflow-bundle.ts).
declare module 'libmime' {
  const libmime: { decodeWords(value: string): string };
  export default libmime;
}
