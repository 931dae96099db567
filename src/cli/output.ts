/**
 * Writing a stream of lines to stdout as a long-running command: wait for 'drain' when the pipe
 * is full (so a slow reader slows the command instead of filling memory), and treat a reader that
 * went away (EPIPE, as with `| head`) as a request to stop rather than a crash.
 */
export function streamWriter(
  stream: NodeJS.WriteStream,
  onReaderGone: () => void,
): (text: string) => Promise<void> {
  let gone = false;
  let waiting: (() => void) | null = null;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    gone = true;
    waiting?.();
    onReaderGone();
  });
  return (text) =>
    new Promise<void>((resolve) => {
      if (gone || stream.write(text)) return resolve();
      waiting = () => {
        waiting = null;
        resolve();
      };
      stream.once('drain', () => waiting?.());
    });
}
