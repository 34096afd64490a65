import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `fn` on a fresh folder `toolken-<name>-…` under the system's temporary folder and removes the folder once
 * `fn` is done: when it returns or throws, or, where it returns a promise, when that promise settles.
 */
export function withTempDir<T>(name: string, fn: (dir: string) => Promise<T>): Promise<T>;
export function withTempDir<T>(name: string, fn: (dir: string) => T): T;
export function withTempDir<T>(name: string, fn: (dir: string) => T | Promise<T>): T | Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `toolken-${name}-`));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  let result: T | Promise<T>;
  try {
    result = fn(dir);
  } catch (err) {
    remove();
    throw err;
  }
  if (result instanceof Promise) return result.finally(remove);
  remove();
  return result;
}
