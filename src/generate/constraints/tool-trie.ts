import type { TokenSequence } from '../../indexing/tool-index.js';
import type { LogitsProcessor } from './logits-processor.js';
import { keepOnly } from './logits-processor.js';

/** One prefix of at least one allowed tool's token sequence. */
export interface ToolTrieNode {
  readonly children: Map<number, ToolTrieNode>;
  /** Set when a whole tool sequence ends here (it may also continue into longer tools). */
  toolId: string | undefined;
}

/**
 * A prefix trie over the token sequences of the allowed tools (a whole catalog or any subset, e.g. one domain).
 *
 * Decoding walks it from the root: at a node the allowed next ids are its children, plus `terminator` when a tool
 * ends there. So after a complete tool with no longer continuation only the terminator is allowed (the end is
 * forced), and when one tool's sequence is a prefix of another's both ending and continuing are allowed; the
 * terminator is what tells them apart. The terminator (EOS or an end-of-tool token) may not occur inside any tool.
 */
export class ToolTrie {
  readonly root: ToolTrieNode = { children: new Map(), toolId: undefined };
  private readonly count: number;

  constructor(
    sequences: readonly TokenSequence[],
    readonly terminator: number,
  ) {
    for (const { toolId, tokens } of sequences) {
      if (tokens.length === 0) throw new Error(`tool trie: tool '${toolId}' has an empty token sequence`);
      let node = this.root;
      for (const token of tokens) {
        if (token === terminator) {
          throw new Error(`tool trie: tool '${toolId}' contains the terminator id ${terminator} inside its sequence`);
        }
        let child = node.children.get(token);
        if (child === undefined) {
          child = { children: new Map(), toolId: undefined };
          node.children.set(token, child);
        }
        node = child;
      }
      if (node.toolId !== undefined) {
        throw new Error(`tool trie: tools '${node.toolId}' and '${toolId}' have the same token sequence [${tokens.join(', ')}]`);
      }
      node.toolId = toolId;
    }
    this.count = sequences.length;
  }

  /** Number of tools in the trie. */
  get size(): number {
    return this.count;
  }

  /** The node reached by `tokens` from the root, or undefined when they leave the trie. */
  walk(tokens: readonly number[]): ToolTrieNode | undefined {
    let node: ToolTrieNode | undefined = this.root;
    for (const token of tokens) {
      node = node.children.get(token);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** The ids allowed after reaching `node`. */
  allowedAfter(node: ToolTrieNode): number[] {
    const ids = [...node.children.keys()];
    if (node.toolId !== undefined) ids.push(this.terminator);
    return ids;
  }

  /**
   * A logits processor for free-running generation of one tool: it allows only continuations of the trie and the
   * terminator after a complete tool. `generated` counts from the first tool token; once it has left the trie (or
   * after the terminator) only the terminator is allowed, so a loop that ignored the constraint still stops.
   */
  processor(): LogitsProcessor {
    return (logits, generated) => {
      const node = this.walk(generated);
      keepOnly(logits, node === undefined ? [this.terminator] : this.allowedAfter(node));
    };
  }

  /** The tool a finished generation names: its tokens with or without the trailing terminator. */
  toolOf(generated: readonly number[]): string | undefined {
    const tokens = generated[generated.length - 1] === this.terminator ? generated.slice(0, -1) : generated;
    return this.walk(tokens)?.toolId;
  }
}
