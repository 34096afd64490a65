/**
 * ToolkenGPT's answer scoring, as the authors' evaluation does it:
 * - the answer is the last number after the last `####` (GSM8K-XL) or `answer is` (FuncQA), commas removed;
 * - exact match rounds both sides: the prediction to 2 decimals, the label with the release's rounding (2 digits
 *   after the leading zeros of a number below 1). An integer label is compared with the prediction truncated to an
 *   integer: the original's quirk, kept so that numbers are comparable (a prediction of 42.9 matches 42);
 * - approx: |prediction - label| <= 0.001 |label|.
 */
import { pythonRound } from '../../tools/executors/funcqa.js';

/** The number a generation answers, or undefined when it holds none. */
export function extractAnswer(text: string): number | undefined {
  const marker = text.includes('####') ? '####' : 'answer is';
  const tail = text.split(marker).at(-1)!.trim().replace(/,/g, '');
  const numbers = tail.match(/[-+]?\d*\.\d+|\d+/g);
  if (numbers === null) return undefined;
  const value = Number(numbers.at(-1));
  return Number.isFinite(value) ? value : undefined;
}

/** The release's rounding of a label: 2 decimals, or 2 digits after the leading zeros of a number below 1. */
function labelRound(x: number): number {
  const [whole, fraction = ''] = x.toFixed(10).split('.');
  const leadingZeros = fraction.length - fraction.replace(/^0+/, '').length;
  return leadingZeros >= 1 && (whole === '0' || whole === '-0') ? pythonRound(x, leadingZeros + 2) : pythonRound(x, 2);
}

export function exactMatch(prediction: number | undefined, label: number): boolean {
  if (prediction === undefined) return false;
  if (Number.isInteger(label)) return Math.trunc(prediction) === label;
  return pythonRound(prediction, 2) === labelRound(label);
}

export function approxMatch(prediction: number | undefined, label: number): boolean {
  return prediction !== undefined && Math.abs(prediction - label) <= 0.001 * Math.abs(label);
}

/** Calls matched against the gold calls by tool, as multisets. */
export interface CallCounts {
  readonly matched: number;
  readonly predicted: number;
  readonly gold: number;
}

export function countCalls(predicted: readonly string[], gold: readonly string[]): CallCounts {
  const remaining = new Map<string, number>();
  for (const g of gold) if (g !== '') remaining.set(g, (remaining.get(g) ?? 0) + 1);
  let matched = 0;
  for (const p of predicted) {
    const left = remaining.get(p) ?? 0;
    if (left > 0) {
      matched++;
      remaining.set(p, left - 1);
    }
  }
  return { matched, predicted: predicted.length, gold: gold.length };
}

/** Precision and recall of calls summed over questions (0 where nothing was predicted / expected). */
export function callPrecisionRecall(counts: readonly CallCounts[]): { precision: number; recall: number } {
  const sum = (key: keyof CallCounts): number => counts.reduce((n, c) => n + c[key], 0);
  const matched = sum('matched');
  return { precision: sum('predicted') === 0 ? 0 : matched / sum('predicted'), recall: sum('gold') === 0 ? 0 : matched / sum('gold') };
}

/** KAMEL without a toolken: the generation contains one of the accepted object strings (case-insensitive). */
export function containsAnswer(text: string, answers: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return answers.some((a) => a !== '' && lower.includes(a.toLowerCase()));
}
