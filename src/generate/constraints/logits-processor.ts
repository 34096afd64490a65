/**
 * A hook the generation loop calls every step before choosing a token: it sees the logits of the next token
 * (vocabSize) and the ids generated so far (after the prompt), and sets the logits of disallowed ids to -Infinity.
 */
export type LogitsProcessor = (logits: Float32Array, generated: readonly number[]) => void;

/** Sets every logit whose mask entry is 0 to -Infinity. mask is (vocabSize), 1 = allowed. */
export function applyMask(logits: Float32Array, mask: Uint8Array): void {
  if (mask.length !== logits.length) throw new Error(`applyMask: mask has ${mask.length} entries for ${logits.length} logits`);
  for (let i = 0; i < logits.length; i++) if (mask[i] === 0) logits[i] = -Infinity;
}

/** Keeps only the listed ids; all other logits become -Infinity. */
export function keepOnly(logits: Float32Array, allowed: Iterable<number>): void {
  const kept = new Map<number, number>();
  for (const id of allowed) kept.set(id, logits[id]!);
  logits.fill(-Infinity);
  for (const [id, value] of kept) logits[id] = value;
}

/** log(sum(exp(logits))), stable. */
export function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

/** log(exp(a) + exp(b)), stable, with -Infinity as the log of zero. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const max = Math.max(a, b);
  return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
}
