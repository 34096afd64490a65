/**
 * New numbers for a FuncQA training answer, as GSM8K-XL enlarges GSM8K's: every number of the question is replaced
 * by a random one of the same shape (digits before and after the point), consistently in the question and the
 * answer, and every call is run again by the executors so its result (and each later mention of it) is true for
 * the new operands. A base pretrained on copies of a few hundred texts can otherwise learn their numbers by heart;
 * with fresh numbers in each copy, the only way to predict an operand is to copy it from the question.
 *
 * An answer whose calls use a number the question does not state (`11%` becoming `0.89`), or whose new operands
 * an executor refuses, is not resampled (undefined).
 */
import { evaluateFuncqa, parseFuncqaArguments, type FuncqaOperation } from '../../tools/executors/funcqa.js';
import { operationOf, type FuncqaRecord } from './data.js';
import { sameShapeNumber, WRITTEN_NUMBER as NUMBER } from '../../util/number-shape.js';

const CALL = /(<[A-Za-z_]\w*>)\(([^()]*)\)(\s*=\s*)([^<]*?)(\s*<eoe>)/g;

export function resampleFuncqaRecord(r: FuncqaRecord, random: () => number): FuncqaRecord | undefined {
  const stated = [...new Set(r.question.match(NUMBER) ?? [])];
  if (stated.length === 0) return undefined;
  const fresh = new Map<string, string>();
  for (const n of stated) {
    let candidate = sameShapeNumber(n, random);
    for (let tries = 0; tries < 8 && (candidate === n || [...fresh.values()].includes(candidate)); tries++) candidate = sameShapeNumber(n, random);
    fresh.set(n, candidate);
  }
  const renumber = (text: string): string => text.replace(NUMBER, (n) => fresh.get(n) ?? n);
  const question = renumber(r.question);
  // Results replaced so far: an earlier result mentioned again later in the answer takes its new value.
  const results = new Map<string, string>();
  const renumberAnswer = (n: string): string => results.get(n) ?? fresh.get(n) ?? n;
  let failed = false;
  let answer = '';
  let last = 0;
  for (const m of r.answer.matchAll(CALL)) {
    const [whole, op, args, eq, oldResult, eoe] = m as unknown as [string, string, string, string, string, string];
    const argNumbers = args.match(NUMBER) ?? [];
    if (argNumbers.some((a) => !fresh.has(a) && !results.has(a))) {
      failed = true;
      break;
    }
    const newArgs = args.replace(NUMBER, (n) => fresh.get(n) ?? results.get(n) ?? n);
    let newResult: string;
    try {
      newResult = evaluateFuncqa(operationOf(op) as FuncqaOperation, parseFuncqaArguments(`(${newArgs})`));
    } catch {
      failed = true;
      break;
    }
    answer += r.answer.slice(last, m.index).replace(NUMBER, renumberAnswer);
    answer += `${op}(${newArgs})${eq}${newResult}${eoe}`;
    results.set(oldResult.trim(), newResult);
    last = m.index + whole.length;
  }
  if (failed || results.size === 0) return undefined;
  const rest = r.answer.slice(last).replace(NUMBER, renumberAnswer);
  return { ...r, question, answer: answer + rest };
}
