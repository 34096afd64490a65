import type { DecoderSession } from './decoder-session.js';
import { logAddExp, logSumExp } from './logits-processor.js';
import type { ToolTrie, ToolTrieNode } from './tool-trie.js';
import { runCancellable, runToEnd, type Stepwise } from '../../util/steps.js';

export interface ToolSearchOptions {
  /** How many distinct tools to return. */
  readonly k: number;
  /** Live beams kept per step (at least k; default k). */
  readonly beamWidth?: number;
  /**
   * 'sum': rank by the sequence log-probability (tool tokens plus the terminator); 'mean': by that sum divided
   * by the number of tokens, so long indices (hierarchical, semantic) are not penalised for their length.
   */
  readonly scoring?: 'sum' | 'mean';
  /**
   * A second opinion over the trie's tools, mixed into the ranking: the search ranks by
   * log((1 - weight) * p_model + weight * q), on prefixes (q's mass under the node) as on whole tools. A tool the
   * model has little probability for (one no training query named) can still rank by q alone.
   */
  readonly prior?: ToolPrior;
}

/** A distribution q over the trie's tools, with its mass under every prefix (see TriePrior). */
export interface ToolPrior {
  /** The share of the ranking that q decides, in [0, 1]. */
  readonly weight: number;
  /** log of q's total mass over the tools at or below the node (the one ending there, if any, and every longer one). */
  logMass(node: ToolTrieNode): number;
  /** log q of the tool that ends at the node. */
  logToolMass(node: ToolTrieNode): number;
}

/** One tool found by the search. */
export interface ToolCandidate {
  readonly toolId: string;
  /** The tool's tokens, without the terminator. */
  readonly tokens: readonly number[];
  /** Sum of the model's log-probabilities of the tokens and the terminator (full-vocabulary softmax). */
  readonly logProb: number;
  /** The ranking score: logProb, or logProb per token under 'mean' scoring; mixed with the prior when there is one. */
  readonly score: number;
}

interface Beam<State> {
  readonly state: State;
  readonly logits: Float32Array;
  readonly node: ToolTrieNode;
  readonly tokens: readonly number[];
  readonly logProb: number;
}

/**
 * Trie-constrained beam search: the k best distinct tools of `trie` as continuations of `promptIds`.
 *
 * The prompt is run once and every beam forks from its state (each child gets the parent's cache as the session
 * provides it; see DecoderSession); at each depth all surviving beams advance in one batched `step`. Only trie children and, after a complete tool, the terminator
 * are ever expanded, so no result can lie outside the trie. Each tool has one token path, hence results are
 * distinct. Under 'sum' scoring the search stops as soon as no live beam can beat the k-th finished tool (log-probs
 * only decrease). States of one depth are released once the next depth is stepped, so at most 2 * beamWidth are
 * alive at once, and every state the search creates is released before it returns.
 */
export function searchTools<State>(
  session: DecoderSession<State>,
  promptIds: readonly number[],
  trie: ToolTrie,
  options: ToolSearchOptions,
): ToolCandidate[] {
  return runToEnd(toolSearchSteps(session, promptIds, trie, options));
}

/**
 * `searchTools` with an event-loop turn after every depth, cancellable by `signal` (its states are released and the
 * promise rejects with the signal's reason): a search over a large model stays out of a server's way.
 */
export function searchToolsAsync<State>(
  session: DecoderSession<State>,
  promptIds: readonly number[],
  trie: ToolTrie,
  options: ToolSearchOptions & { readonly signal?: AbortSignal },
): Promise<ToolCandidate[]> {
  return runCancellable(toolSearchSteps(session, promptIds, trie, options), options.signal);
}

/** The search, pausing after each depth. */
function* toolSearchSteps<State>(
  session: DecoderSession<State>,
  promptIds: readonly number[],
  trie: ToolTrie,
  options: ToolSearchOptions,
): Stepwise<ToolCandidate[]> {
  const { k } = options;
  const beamWidth = options.beamWidth ?? k;
  const scoring = options.scoring ?? 'sum';
  if (!Number.isInteger(k) || k < 1) throw new Error(`tool search: k must be a positive integer, got ${k}`);
  if (!Number.isInteger(beamWidth) || beamWidth < k) throw new Error(`tool search: beamWidth must be an integer >= k (${k}), got ${beamWidth}`);
  if (trie.terminator < 0 || trie.terminator >= session.vocabSize) {
    throw new Error(`tool search: terminator id ${trie.terminator} is outside the model's vocabulary (${session.vocabSize})`);
  }

  const prior = options.prior;
  if (prior !== undefined && !(prior.weight >= 0 && prior.weight <= 1)) throw new Error(`tool search: the prior's weight must be in [0, 1], got ${prior.weight}`);
  const modelShare = prior === undefined ? 0 : Math.log(1 - prior.weight);
  const priorShare = prior === undefined ? 0 : Math.log(prior.weight);
  // The model's score mixed with the prior's mass; without a prior, the model's score as it is.
  const mixed = (modelScore: number, logPriorMass: () => number): number =>
    prior === undefined ? modelScore : logAddExp(modelShare + modelScore, priorShare + logPriorMass());
  const rank = (logProb: number, length: number, node: ToolTrieNode): number =>
    mixed(scoring === 'mean' ? logProb / length : logProb, () => prior!.logToolMass(node));
  const finished: ToolCandidate[] = [];
  const prompt = session.prefill(promptIds);
  let beams: Beam<State>[] = [{ ...prompt, node: trie.root, tokens: [], logProb: 0 }];

  try {
    while (beams.length > 0) {
      // Expand every beam by its allowed ids: the terminator finishes a tool, children continue it.
      // A prefix ranks by its mixed mass, which only shrinks along a path (as log-probabilities do).
      const continuations: { beam: Beam<State>; token: number; logProb: number; prefixScore: number }[] = [];
      for (const beam of beams) {
        const normaliser = logSumExp(beam.logits);
        if (beam.node.toolId !== undefined) {
          const logProb = beam.logProb + beam.logits[trie.terminator]! - normaliser;
          finished.push({ toolId: beam.node.toolId, tokens: beam.tokens, logProb, score: rank(logProb, beam.tokens.length + 1, beam.node) });
        }
        for (const [token, child] of beam.node.children) {
          const logProb = beam.logProb + beam.logits[token]! - normaliser;
          continuations.push({ beam, token, logProb, prefixScore: mixed(logProb, () => prior!.logMass(child)) });
        }
      }
      continuations.sort((a, b) => b.prefixScore - a.prefixScore);
      const kept = continuations.slice(0, beamWidth).filter((c) => c.prefixScore > -Infinity);

      finished.sort((a, b) => b.score - a.score);
      const settled = scoring === 'sum' && finished.length >= k && (kept.length === 0 || kept[0]!.prefixScore <= finished[k - 1]!.score);
      const next = settled || kept.length === 0 ? [] : session.step(kept.map((c) => c.beam.state), kept.map((c) => c.token));
      for (const beam of beams) session.release(beam.state);
      beams = next.map((stepped, i) => {
        const { beam, token, logProb } = kept[i]!;
        return { ...stepped, node: beam.node.children.get(token)!, tokens: [...beam.tokens, token], logProb };
      });
      yield;
    }
  } finally {
    // A cancelled search still releases the states of its live beams.
    for (const beam of beams) session.release(beam.state);
  }
  return finished.slice(0, k);
}
