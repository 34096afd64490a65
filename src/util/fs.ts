import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Appends bytes to the file being written. */
export type ChunkWriter = (chunk: Uint8Array) => void;

/**
 * Writes a file so that readers only ever see the old or the new content: `produce` streams the data to a
 * temporary file in the same directory, which is flushed and renamed over the target. A crash mid-write leaves the
 * target untouched, and a large file (a checkpoint) never has to exist in memory as one buffer.
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
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // The failure is the target's (a folder in its place, no permission): name it, not the temporary file.
    throw Object.assign(err as Error, { path });
  }
  fsyncDirectory(dirname(path));
}

/**
 * Flushes a directory's entries to disk, so that a rename into it (the commit of an atomic write) survives a power
 * loss and not only a crash of the process. Platforms that cannot open a directory for syncing skip it.
 */
export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some filesystems (and Windows) refuse fsync on a directory; the rename itself has still happened.
  } finally {
    closeSync(fd);
  }
}

/** Writes a string or bytes atomically (see writeStreamingAtomic). */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  writeStreamingAtomic(path, (write) => chunks.forEach(write));
}

/** Writes JSON (2-space indented, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
