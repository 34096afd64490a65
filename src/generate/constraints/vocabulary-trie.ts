import type { TokenByteTable } from '../../indexing/vocabulary.js';

/**
 * A byte trie over a vocabulary's tokens, stored in flat arrays (node 0 is the root). Masking walks it once per
 * step alongside a byte automaton and prunes a whole subtree the moment its prefix is rejected, so a 150k-token
 * vocabulary costs only the prefixes the grammar accepts. Tokens with no bytes (special tokens) are not in it.
 */
export class VocabularyTrie {
  /** First child of a node, -1 if none; children are in increasing byte order. */
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  /** The byte on the edge into a node. */
  readonly byte: Uint8Array;
  /** Tokens ending at node n are tokenIds[tokenStart[n] .. tokenStart[n] + tokenCount[n]). */
  readonly tokenStart: Int32Array;
  readonly tokenCount: Int32Array;
  readonly tokenIds: Int32Array;
  readonly nodeCount: number;
  /** Longest token, in bytes. */
  readonly maxTokenBytes: number;
  /** The one-byte token for each byte value, -1 where the vocabulary has none. */
  readonly byteToken: Int32Array;

  constructor(readonly table: TokenByteTable) {
    const ids: number[] = [];
    const bytes: Uint8Array[] = [];
    let total = 0;
    for (let id = 0; id < table.vocabSize; id++) {
      const b = table.tokenBytes(id);
      bytes.push(b);
      if (b.length === 0) continue;
      ids.push(id);
      total += b.length;
    }
    ids.sort((x, y) => compareBytes(bytes[x]!, bytes[y]!));

    const capacity = total + 1;
    this.firstChild = new Int32Array(capacity).fill(-1);
    this.nextSibling = new Int32Array(capacity).fill(-1);
    this.byte = new Uint8Array(capacity);
    this.tokenStart = new Int32Array(capacity);
    this.tokenCount = new Int32Array(capacity);
    this.tokenIds = Int32Array.from(ids);
    this.byteToken = new Int32Array(256).fill(-1);
    const lastChild = new Int32Array(capacity).fill(-1);

    // Sorted insertion: each token shares a prefix with the previous one and only appends new nodes after it.
    let nodes = 1;
    const path: number[] = [0];
    let previous: Uint8Array = new Uint8Array(0);
    let maxTokenBytes = 0;
    ids.forEach((id, rank) => {
      const b = bytes[id]!;
      maxTokenBytes = Math.max(maxTokenBytes, b.length);
      let common = 0;
      while (common < b.length && common < previous.length && b[common] === previous[common]) common++;
      path.length = common + 1;
      for (let i = common; i < b.length; i++) {
        const parent = path[path.length - 1]!;
        const node = nodes++;
        this.byte[node] = b[i]!;
        if (lastChild[parent] === -1) this.firstChild[parent] = node;
        else this.nextSibling[lastChild[parent]!] = node;
        lastChild[parent] = node;
        path.push(node);
      }
      const end = path[b.length]!;
      if (this.tokenCount[end] === 0) this.tokenStart[end] = rank;
      this.tokenCount[end]!++;
      if (b.length === 1 && this.byteToken[b[0]!] === -1) this.byteToken[b[0]!] = id;
      previous = b;
    });
    this.nodeCount = nodes;
    this.maxTokenBytes = maxTokenBytes;
  }

  get vocabSize(): number {
    return this.table.vocabSize;
  }

  /** True when every byte value is a token by itself, so any byte string can be spelled one byte per token. */
  coversAllBytes(): boolean {
    return this.byteToken.every((id) => id !== -1);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
