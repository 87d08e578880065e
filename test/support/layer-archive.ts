import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** A gzipped tar layer and the digest of its uncompressed tar (the config's `rootfs.diff_ids` entry). */
export interface LayerArchive {
  readonly compressed: Buffer;
  readonly diffId: string;
}

const BLOCK = 512;

/**
 * Builds a real, tiny layer: one regular file of random bytes in a ustar archive, gzipped.
 * The random content makes every layer, and so every image, unique.
 */
export function createLayerArchive(): LayerArchive {
  const content = randomBytes(64);
  const tar = Buffer.concat([
    ustarHeader(`digester-test-${content.subarray(0, 4).toString('hex')}`, content.length),
    padToBlock(content),
    Buffer.alloc(2 * BLOCK), // end-of-archive marker
  ]);
  return {
    compressed: gzipSync(tar),
    diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
  };
}

/** Header layout from POSIX pax "ustar Interchange Format". */
function ustarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'ascii');
  writeOctal(header, 0o644, 100, 8); // mode
  writeOctal(header, 0, 108, 8); // uid
  writeOctal(header, 0, 116, 8); // gid
  writeOctal(header, size, 124, 12);
  writeOctal(header, 0, 136, 12); // mtime: fixed, like reproducible builds
  header.write(' '.repeat(8), 148, 8, 'ascii'); // checksum field counts as spaces while summing
  header.write('0', 156, 1, 'ascii'); // regular file
  header.write('ustar\u000000', 257, 8, 'ascii');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  header.write(`${checksum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return header;
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function padToBlock(data: Buffer): Buffer {
  const remainder = data.length % BLOCK;
  return remainder === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - remainder)]);
}
