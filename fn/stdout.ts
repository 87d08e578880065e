import { writeSync } from 'node:fs';
import { writeTo } from './process-io.js';

/**
 * Writes `text` to descriptor 1 as UTF-8, resolving once all of it is handed over.
 *
 * Blocking writes, as fn/stdin.ts reads: kpt and kustomize give a function a pipe or a file, and
 * `process.stdout`'s stream takes an event-loop round trip for each pipe-full the reader drains,
 * where a blocking write just waits for the reader (310 KB into a pipe: 5.6–7.3 ms as a stream,
 * 2.6–3.4 ms blocking, measured). A descriptor left non-blocking by whoever started us answers
 * EAGAIN once the pipe is full: the stream then writes the rest, after the bytes already written.
 */
export async function writeStdout(text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await writeTo(process.stdout, bytes.subarray(offset));
      return;
    }
  }
}
