// libmime ships no types: the one call the connector makes of it (imap/envelope.ts).
declare module 'libmime' {
  const libmime: { decodeWords(value: string): string };
  export default libmime;
}
