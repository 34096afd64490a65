/**
 * Numbers as written in text, and fresh ones of the same shape: what resampling training texts needs (ToolkenGPT's
 * FuncQA answers, function-calling examples), so that a model pretrained on many copies must copy a number from
 * the question rather than recall it.
 */

/** A number written in text: digits, optionally a point and more digits, not part of a longer number. */
export const WRITTEN_NUMBER = /(?<![\d.])\d+(?:\.\d+)?(?![\d]|\.\d)/g;

/** A random number with the same digits before and after the point as `shape` (no leading zero unless it is 0). */
export function sameShapeNumber(shape: string, random: () => number): string {
  const [whole, fraction] = shape.split('.') as [string, string | undefined];
  const digit = (): string => String(Math.floor(random() * 10));
  let head = whole === '0' ? '0' : String(1 + Math.floor(random() * 9));
  for (let i = 1; i < whole.length; i++) head += digit();
  if (fraction === undefined) return head;
  let tail = '';
  for (let i = 0; i < fraction.length; i++) tail += digit();
  // A last digit 0 would be dropped when the number is written back; keep the fraction's length.
  if (tail.endsWith('0')) tail = tail.slice(0, -1) + String(1 + Math.floor(random() * 9));
  return `${head}.${tail}`;
}
