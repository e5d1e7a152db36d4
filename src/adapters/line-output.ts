/** JSON lines on a writable that may be a slow pipe: waits for 'drain' instead of buffering a mailbox. */
export interface LineSink {
  write(text: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

export async function writeLine(sink: LineSink, message: unknown): Promise<void> {
  const more = sink.write(JSON.stringify(message) + '\n');
  if (more === false && sink.once)
    await new Promise<void>((resolve) => sink.once!('drain', resolve));
}
