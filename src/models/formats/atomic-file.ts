import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Appends bytes to the file being written. */
export type ChunkWriter = (chunk: Uint8Array) => void;

/**
 * Streams a large file to a temporary path beside `path`, flushes it and renames it over the target, so a
 * checkpoint is never seen half-written and never has to exist in memory as one buffer (the streaming
 * counterpart of writeFileAtomic in src/util/fs.ts).
 */
export function writeStreamingAtomic(path: string, produce: (write: ChunkWriter) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    produce((chunk) => {
      let off = 0;
      while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
    });
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
