import type { ToolPrior } from './beam-search.js';
import { logAddExp } from './logits-processor.js';
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
