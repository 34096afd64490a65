import type { JsonAutomaton, JsonState, StringFrame } from './json-automaton.js';
import { MODE_BITS, MODE_MASK, PLAIN, STRING_CLOSED, STRING_REJECT, stringByte, stringMinBytes } from './json-string.js';
import { StringTokenClasses } from './string-tokens.js';
import type { VocabularyTrie } from './vocabulary-trie.js';

interface MaskEntry {
  readonly mask: Uint8Array;
  /** The largest minBytesToComplete over the states the allowed tokens lead to. */
  readonly maxAfter: number;
}

/**
 * Token-level masks for one schema over one vocabulary: a token is allowed iff the automaton accepts all its
 * bytes; the end id is allowed iff the document is complete.
 *
 * Budget: with `remainingTokens` (this token and the end id included), a token is allowed only if the document
 * can still be completed afterwards: minBytesToComplete(after) <= remainingTokens - 2, since one byte per token is
 * always possible (every byte is a token) and the last token must be the end id. If minBytesToComplete <=
 * remainingTokens - 1 holds before a step, the one-byte token that starts a shortest completion keeps it true, so
 * decoding that starts within budget always ends with a complete document.
 *
 * Masks are cached by automaton state key; a cached mask is reused under a budget only when no allowed token can
 * overrun it (remainingTokens - 2 >= maxAfter), so the exact, uncached walk runs only near the end of the budget.
 */
export class JsonTokenMasker {
  private readonly cache = new Map<string, MaskEntry>();
  private readonly maxCacheEntries: number;
  /** Shared stack of visitString: trie nodes and their string (count, mode) codes; a trie walk pushes each
   * node at most once, so nodeCount entries suffice. */
  private readonly stringNodes: Int32Array;
  private readonly stringCodes: Int32Array;
  private stringTop = 0;

  constructor(
    readonly automaton: JsonAutomaton,
    readonly vocabulary: VocabularyTrie,
    readonly endId: number,
    options: { maxCacheEntries?: number } = {},
  ) {
    if (!Number.isInteger(endId) || endId < 0 || endId >= vocabulary.vocabSize) {
      throw new Error(`json token mask: end id ${endId} is outside the vocabulary (0..${vocabulary.vocabSize - 1})`);
    }
    this.maxCacheEntries = options.maxCacheEntries ?? 1024;
    this.stringNodes = new Int32Array(vocabulary.nodeCount);
    this.stringCodes = new Int32Array(vocabulary.nodeCount);
  }

  /** (vocabSize) 1 = allowed. The array may be shared with later calls: read it, do not change it. */
  allowed(state: JsonState | null, remainingTokens = Infinity): Uint8Array {
    const key = this.automaton.key(state, this.vocabulary.maxTokenBytes);
    let entry = this.cache.get(key);
    if (entry === undefined) {
      entry = this.walk(state, Infinity);
      if (this.cache.size >= this.maxCacheEntries) this.cache.clear();
      this.cache.set(key, entry);
    }
    return remainingTokens - 2 >= entry.maxAfter ? entry.mask : this.walk(state, remainingTokens).mask;
  }

  /** The state after token `id`, or undefined when the automaton rejects one of its bytes (or the end id). */
  advanceToken(state: JsonState | null, id: number): JsonState | null | undefined {
    if (id === this.endId) return undefined;
    const bytes = this.vocabulary.table.tokenBytes(id);
    if (bytes.length === 0) return undefined;
    return this.automaton.advanceBytes(state, bytes);
  }

  /** Computes a mask: at a character boundary inside a string from the vocabulary's string classes, elsewhere by a
   * depth-first walk of the vocabulary trie in step with the automaton. */
  private walk(state: JsonState | null, remainingTokens: number): MaskEntry {
    const out: WalkOutput = { mask: new Uint8Array(this.vocabulary.vocabSize), maxAfter: 0, budget: remainingTokens - 2 };
    if (state !== null && state.frame.kind === 'string' && state.frame.mode === PLAIN) this.insideString(state.frame, state.parent, out);
    else this.visit(this.vocabulary.firstChild[0]!, state, out);
    out.mask[this.endId] = this.automaton.isComplete(state) ? 1 : 0;
    return { mask: out.mask, maxAfter: out.maxAfter };
  }

  /** Allows the tokens ending at `node` if the document can still be completed from minBytes `after`. */
  private accept(node: number, after: number, out: WalkOutput): void {
    const trie = this.vocabulary;
    const count = trie.tokenCount[node]!;
    if (count === 0 || after > out.budget) return;
    out.maxAfter = Math.max(out.maxAfter, after);
    const start = trie.tokenStart[node]!;
    for (let i = start; i < start + count; i++) out.mask[trie.tokenIds[i]!] = 1;
  }

  /** The mask at a character boundary inside a string, from the vocabulary's precomputed string classes. */
  private insideString(frame: StringFrame, parent: JsonState | null, out: WalkOutput): void {
    const classes = StringTokenClasses.of(this.vocabulary);
    const { minLength, maxLength } = frame.node;
    const room = maxLength - frame.count;
    const outside = this.automaton.minBytesToComplete(parent);
    const { insideIds, insideChars, insideEndMode } = classes;
    for (let i = 0; i < insideIds.length; i++) {
      const chars = insideChars[i]!;
      if (chars > room) continue;
      const after = stringMinBytes(frame.node, frame.count + chars, insideEndMode[i]!) + outside;
      if (after > out.budget) continue;
      if (after > out.maxAfter) out.maxAfter = after;
      out.mask[insideIds[i]!] = 1;
    }
    const { closingIds, closingChars, closingRest } = classes;
    for (let i = 0; i < closingIds.length; i++) {
      const chars = frame.count + closingChars[i]!;
      if (chars < minLength || chars > maxLength) continue;
      const next = this.automaton.advanceBytes(parent, closingRest[i]!);
      if (next === undefined) continue;
      const after = this.automaton.minBytesToComplete(next);
      if (after > out.budget) continue;
      if (after > out.maxAfter) out.maxAfter = after;
      out.mask[closingIds[i]!] = 1;
    }
  }

  /** Walks the subtrees starting at `firstChild` and its siblings, all entered from `state`. */
  private visit(firstChild: number, state: JsonState | null, out: WalkOutput): void {
    if (state !== null && state.frame.kind === 'string') {
      this.visitString(firstChild, state.frame, state.parent, out);
      return;
    }
    const trie = this.vocabulary;
    const nodes: number[] = [];
    const states: (JsonState | null)[] = [];
    for (let child = firstChild; child !== -1; child = trie.nextSibling[child]!) {
      nodes.push(child);
      states.push(state);
    }
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const next = this.automaton.advance(states.pop()!, trie.byte[node]!);
      if (next === undefined) continue;
      this.accept(node, this.automaton.minBytesToComplete(next), out);
      if (next !== null && next.frame.kind === 'string') {
        this.visitString(trie.firstChild[node]!, next.frame, next.parent, out);
        continue;
      }
      for (let child = trie.firstChild[node]!; child !== -1; child = trie.nextSibling[child]!) {
        nodes.push(child);
        states.push(next);
      }
    }
  }

  /**
   * The same walk inside a string, where most of the vocabulary is accepted: the string's (count, mode) is carried
   * as one number on a typed-array stack, and only a closing quote hands the rest of the subtree back to the
   * general walk. Nested calls (a token that closes one string and opens another) stack above the caller's entries.
   */
  private visitString(firstChild: number, frame: StringFrame, parent: JsonState | null, out: WalkOutput): void {
    const { firstChild: firstChildOf, nextSibling, byte, tokenCount } = this.vocabulary;
    const stringNode = frame.node;
    const outside = this.automaton.minBytesToComplete(parent);
    const nodes = this.stringNodes;
    const codes = this.stringCodes;
    const base = this.stringTop;
    let top = base;
    for (let child = firstChild; child !== -1; child = nextSibling[child]!) {
      nodes[top] = child;
      codes[top++] = (frame.count << MODE_BITS) | frame.mode;
    }
    while (top > base) {
      const node = nodes[--top]!;
      const code = codes[top]!;
      const result = stringByte(stringNode, code >> MODE_BITS, code & MODE_MASK, byte[node]!);
      if (result === STRING_REJECT) continue;
      if (result === STRING_CLOSED) {
        this.accept(node, outside, out);
        this.stringTop = top;
        this.visit(firstChildOf[node]!, parent, out);
        continue;
      }
      if (tokenCount[node]! > 0) this.accept(node, stringMinBytes(stringNode, result >> MODE_BITS, result & MODE_MASK) + outside, out);
      for (let child = firstChildOf[node]!; child !== -1; child = nextSibling[child]!) {
        nodes[top] = child;
        codes[top++] = result;
      }
    }
    this.stringTop = base;
  }
}

interface WalkOutput {
  readonly mask: Uint8Array;
  maxAfter: number;
  /** Largest minBytesToComplete a token may leave: the remaining tokens minus this one and the end id. */
  readonly budget: number;
}
