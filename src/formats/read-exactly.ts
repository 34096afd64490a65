import { readSync } from 'node:fs';
import { CheckpointError } from './errors.js';

/** Reads exactly `length` bytes at `position`; a file that ends first is a CheckpointError naming `what`. */
export function readExactly(fd: number, length: number, position: number, file: string, what: string): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new CheckpointError(`${file}: file ends while reading ${what} (${got} of ${length} bytes)`);
    got += n;
  }
  return buf;
}
