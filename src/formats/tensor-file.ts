import { closeSync, fstatSync, openSync } from 'node:fs';
import { CheckpointError } from './errors.js';
import { readExactly } from './read-exactly.js';
import type { WeightReader } from './types.js';

/** Where one tensor's bytes lie in its file. */
export interface TensorLocation {
  readonly shape: readonly number[];
  readonly offset: number;
  readonly byteLength: number;
}

/**
 * What every single-file checkpoint format shares: the file stays open while its header's table of tensors is
 * parsed (by the subclass constructor, which fills `tensors`), and each `read` fetches one tensor's bytes.
 * A header that fails to parse closes the file before the error propagates.
 */
export abstract class TensorFile<Location extends TensorLocation> implements WeightReader {
  readonly tensors = new Map<string, Location>();
  private fd: number | undefined;

  protected constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  abstract dtype(name: string): string;
  abstract read(name: string): Float32Array;

  names(): string[] {
    return [...this.tensors.keys()];
  }

  shape(name: string): number[] {
    return [...this.location(name).shape];
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Runs the subclass's header parsing with the open file, closing it if parsing throws. */
  protected parseHeader<T>(parse: (fd: number, fileSize: number) => T): T {
    try {
      const fd = this.openFd('the header');
      return parse(fd, fstatSync(fd).size);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  protected location(name: string): Location {
    const location = this.tensors.get(name);
    if (!location) throw new CheckpointError(`${this.path}: no tensor named "${name}"`);
    return location;
  }

  /** The raw bytes of tensor `name`. */
  protected readBytes(name: string): Uint8Array {
    const { byteLength, offset } = this.location(name);
    return readExactly(this.openFd(`"${name}"`), byteLength, offset, this.path, `tensor "${name}"`);
  }

  private openFd(what: string): number {
    if (this.fd === undefined) throw new CheckpointError(`${this.path}: read of ${what} after close()`);
    return this.fd;
  }
}
