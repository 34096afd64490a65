/**
 * Host memory for storages every caller overwrites in full (op outputs, scratch): taken without zero-filling,
 * which on a training step is a memset of everything the step allocates. With TOOLKEN_POISON_UNINITIALIZED=1
 * (the test runner sets it) the memory is filled with NaN instead, so any read before a write shows up as NaN in
 * the tests rather than as stale values that happen to be right.
 */
export const poisonUninitialized = process.env.TOOLKEN_POISON_UNINITIALIZED === '1';

export function uninitializedFloats(length: number): Float32Array {
  if (poisonUninitialized) return new Float32Array(length).fill(Number.NaN);
  // allocUnsafeSlow gives the buffer its own ArrayBuffer (offset 0, never the shared pool), so the view is aligned.
  return new Float32Array(Buffer.allocUnsafeSlow(length * 4).buffer, 0, length);
}
