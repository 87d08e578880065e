import { readSync } from 'node:fs';
import { buffer as readStream } from 'node:stream/consumers';

const CHUNK_BYTES = 256 * 1024;

/** All of stdin as UTF-8, a byte order mark included: the output is the input, byte for byte. */
export async function readStdin(): Promise<string> {
  return (await readStdinBytes()).toString('utf8');
}

/**
 * All of stdin's bytes.
 *
 * kpt and kustomize give a function a pipe or a file, and blocking reads of descriptor 0 take a
 * fraction of a millisecond where setting up `process.stdin`'s stream takes about 3 ms, paid on
 * every render. A descriptor left non-blocking by whoever started us answers EAGAIN when the writer
 * is slower than we are: the stream then reads the rest, after the bytes already in hand. One that
 * cannot be read at all (closed, a directory) goes to the stream from the start, as it always did.
 */
export async function readStdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  for (;;) {
    let length: number;
    try {
      length = readSync(0, chunk, 0, CHUNK_BYTES, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && chunks.length > 0) throw error;
      chunks.push(await readStream(process.stdin));
      break;
    }
    if (length === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, length)));
  }
  return Buffer.concat(chunks);
}
