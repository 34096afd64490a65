/**
 * Best-of-N, the other scaffolding baseline of "What Actually Improves LLM Tool Calling?": N answers are sampled per
 * question and one is kept by this rule, which sees only the answers and the offered functions (never the possible
 * answers): among the well-formed answers the one with the highest log-probability, else the most probable of all.
 * - Well-formed: the answer decodes (the decoder and reading scoring uses: official, the run's mode) to at least one
 *   call, every call names an offered function, and each call gives every required parameter of its function.
 * - Log-probability: the sum over the answer's tokens of log p(token) under the distribution it was sampled from
 *   (after the schema mask when decoding is constrained), stop token included. Ties go to the earlier sample.
 * A question that wants no call (irrelevance) is not told apart: the rule prefers calls there as everywhere.
 */
import { decodeModelOutput, type CallMode } from '../../tools/calls/decode.js';
import { languageOf, type BfclEntry } from './dataset.js';

export interface BestOfCandidate {
  readonly text: string;
  readonly logProb: number;
}

/** Whether an answer decodes to calls of offered functions with their required parameters. */
export function wellFormedAnswer(entry: BfclEntry, text: string, mode: CallMode): boolean {
  const decoded = decodeModelOutput(text, languageOf(entry.category), { reading: 'official', mode });
  if (!decoded.ok || decoded.calls.length === 0) return false;
  return decoded.calls.every((call) => {
    const fn = entry.functions.find((f) => f.name === call.name);
    return fn !== undefined && fn.parameters.required.every((p) => call.args.has(p));
  });
}

/** The index of the candidate the rule keeps. */
export function selectBestOfN(entry: BfclEntry, candidates: readonly BestOfCandidate[], mode: CallMode): number {
  if (candidates.length === 0) throw new RangeError('best-of-N: no candidate to choose from');
  const best = (indices: readonly number[]): number => indices.reduce((a, b) => (candidates[b]!.logProb > candidates[a]!.logProb ? b : a));
  const formed = candidates.map((_, i) => i).filter((i) => wellFormedAnswer(entry, candidates[i]!.text, mode));
  return best(formed.length > 0 ? formed : candidates.map((_, i) => i));
}
