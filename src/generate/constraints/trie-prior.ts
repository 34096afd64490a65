import type { ToolPrior } from './beam-search.js';
import { keepOnly, logAddExp, logSumExp, type LogitsProcessor } from './logits-processor.js';
import type { ToolTrie, ToolTrieNode } from './tool-trie.js';

/**
 * A normalised distribution over a trie's tools, from unnormalised log-weights (a tool the weights do not name gets
 * `-Infinity`, no mass), with the mass under every prefix summed once so the beam search can rank a prefix by it.
 */
export class TriePrior implements ToolPrior {
  private readonly prefixMass = new Map<ToolTrieNode, number>();
  private readonly toolMass = new Map<ToolTrieNode, number>();

  constructor(
    trie: ToolTrie,
    logWeightOf: (toolId: string) => number,
    readonly weight: number,
  ) {
    if (!(weight >= 0 && weight <= 1)) throw new RangeError(`trie prior: weight must be in [0, 1], got ${weight}`);
    const total = this.sumUnder(trie.root, logWeightOf);
    if (total === -Infinity) throw new Error('trie prior: every tool of the trie has zero weight');
    for (const [node, mass] of this.prefixMass) this.prefixMass.set(node, mass - total);
    for (const [node, mass] of this.toolMass) this.toolMass.set(node, mass - total);
  }

  logMass(node: ToolTrieNode): number {
    return this.prefixMass.get(node) ?? -Infinity;
  }

  logToolMass(node: ToolTrieNode): number {
    return this.toolMass.get(node) ?? -Infinity;
  }

  /** The unnormalised log mass under `node`, recorded for it and every node below (iterative: tries can be deep). */
  private sumUnder(root: ToolTrieNode, logWeightOf: (toolId: string) => number): number {
    const order: ToolTrieNode[] = [];
    const stack = [root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      order.push(node);
      for (const child of node.children.values()) stack.push(child);
    }
    // Children come after their parent in `order`, so walking it backwards sums every subtree before its root.
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i]!;
      let mass = -Infinity;
      if (node.toolId !== undefined) {
        const own = logWeightOf(node.toolId);
        this.toolMass.set(node, own);
        mass = own;
      }
      for (const child of node.children.values()) mass = logAddExp(mass, this.prefixMass.get(child)!);
      this.prefixMass.set(node, mass);
    }
    return this.prefixMass.get(root)!;
  }
}

/**
 * Free-running generation of one tool under a prior: a logits processor that allows only the trie's continuations
 * (as ToolTrie.processor does) and gives each the mixed mass log((1 - w) p_model(prefix, id) + w q(under id)), so
 * that greedy decoding follows the mixed distribution step by step and sampling (a retry's temperature) samples it.
 * It keeps the model's log-probability of the prefix it has walked, so one processor serves one generation.
 */
export function priorProcessor(trie: ToolTrie, prior: ToolPrior): LogitsProcessor {
  const modelShare = Math.log(1 - prior.weight);
  const priorShare = Math.log(prior.weight);
  let walkedLogProb = 0;
  let stepLogProbs = new Map<number, number>();
  return (logits, generated) => {
    if (generated.length > 0) walkedLogProb += stepLogProbs.get(generated[generated.length - 1]!) ?? -Infinity;
    const node = trie.walk(generated);
    if (node === undefined || generated[generated.length - 1] === trie.terminator) {
      keepOnly(logits, [trie.terminator]);
      return;
    }
    const normaliser = logSumExp(logits);
    const mixed = new Map<number, number>();
    stepLogProbs = new Map();
    const allow = (id: number, logMass: number): void => {
      const own = logits[id]! - normaliser;
      stepLogProbs.set(id, own);
      mixed.set(id, logAddExp(modelShare + walkedLogProb + own, priorShare + logMass));
    };
    for (const [token, child] of node.children) allow(token, prior.logMass(child));
    if (node.toolId !== undefined) allow(trie.terminator, prior.logToolMass(node));
    logits.fill(-Infinity);
    for (const [id, value] of mixed) logits[id] = value;
  };
}
