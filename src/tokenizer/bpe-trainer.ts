import { BYTE_TO_CHAR, PRETOKENIZE_PATTERNS, toByteChars } from './byte-level.js';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.js';

export interface BpeTrainOptions {
  /** Final vocabulary size: special tokens + 256 byte symbols + merges. */
  vocabSize: number;
  /** Tokens given the first ids and never split (e.g. `<|endoftext|>`); matched verbatim in text. */
  specialTokens?: readonly string[];
  /** A pair seen fewer times than this is never merged (default 2). */
  minFrequency?: number;
  /** Special tokens (among specialTokens) that begin and end sequences, and the chat template to ship. */
  bosToken?: string;
  eosToken?: string;
  chatTemplate?: string;
  /**
   * Pre-tokenizer split pattern, a key of PRETOKENIZE_PATTERNS (default 'gpt2'). 'qwen2' keeps every digit its
   * own piece, so numbers are never merged and a model copies them digit by digit.
   */
  pretokenizer?: string;
}

/** Pair (a, b) of symbol ids as one number; ids stay below 2^21. */
const PAIR_BASE = 2 ** 21;
const pairKey = (a: number, b: number): number => a * PAIR_BASE + b;

/** Max-heap of (count, pair) with lazy invalidation: stale entries are skipped when popped. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.above(l, best)) best = l;
        if (r < this.keys.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/**
 * Trains a GPT-2 style byte-level BPE tokenizer: texts are split with the pre-tokenizer pattern (GPT-2's by default), every
 * byte is a base symbol, and the most frequent adjacent pair (ties: lowest symbol ids) is merged until the
 * vocabulary is full. Pair counts are updated incrementally, only in the words that contain the merged pair.
 */
export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainOptions): ByteLevelBpeTokenizer {
  const specials = [...(options.specialTokens ?? [])];
  const minFrequency = options.minFrequency ?? 2;
  const pretokenizer = options.pretokenizer ?? 'gpt2';
  const pattern = PRETOKENIZE_PATTERNS[pretokenizer];
  if (pattern === undefined) throw new Error(`unknown pre-tokenizer "${pretokenizer}" (known: ${Object.keys(PRETOKENIZE_PATTERNS).join(', ')})`);
  const base = specials.length + 256;
  if (options.vocabSize < base) throw new Error(`vocabSize ${options.vocabSize} is smaller than the ${specials.length} special tokens plus 256 byte symbols`);
  if (options.vocabSize >= PAIR_BASE) throw new Error(`vocabSize ${options.vocabSize} is too large (at most ${PAIR_BASE - 1})`);

  // Word frequencies over byte-level pre-tokens; special tokens are cut out of the text first.
  const specialPattern = specials.length ? new RegExp(specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu') : undefined;
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const chunk of specialPattern ? text.split(specialPattern) : [text]) {
      for (const word of chunk.match(pattern) ?? []) {
        const chars = toByteChars(word);
        wordCounts.set(chars, (wordCounts.get(chars) ?? 0) + 1);
      }
    }
  }

  const tokens: string[] = [...specials, ...BYTE_TO_CHAR];
  const charId = new Map(BYTE_TO_CHAR.map((c, b) => [c, specials.length + b]));
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [chars, count] of wordCounts) {
    words.push(Int32Array.from(chars, (c) => charId.get(c)!));
    freqs.push(count);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, touched: Set<number>): void => {
    const word = words[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i]!, word[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freqs[w]!);
      touched.add(key);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  const heap = new PairHeap();
  for (const key of initial) heap.push(pairCounts.get(key)!, key);

  const merges: [string, string][] = [];
  while (tokens.length < options.vocabSize && heap.size > 0) {
    const { count, key } = heap.pop();
    if (pairCounts.get(key) !== count) continue;
    if (count < minFrequency) break;
    const a = Math.floor(key / PAIR_BASE);
    const b = key % PAIR_BASE;
    const merged = tokens.length;
    tokens.push(tokens[a]! + tokens[b]!);
    merges.push([tokens[a]!, tokens[b]!]);
    const touched = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      // Re-count the whole (short) word around its rewrite: simpler than patching neighbours and exact for runs like "aaa".
      addPairs(w, -1, touched);
      const word = words[w]!;
      const out: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          out.push(merged);
          i++;
        } else {
          out.push(word[i]!);
        }
      }
      words[w] = Int32Array.from(out);
      addPairs(w, 1, touched);
    }
    pairWords.delete(key);
    for (const k of touched) {
      const c = pairCounts.get(k)!;
      if (c > 0) heap.push(c, k);
      else pairCounts.delete(k);
    }
  }

  return new ByteLevelBpeTokenizer({
    tokens,
    merges,
    pretokenizer,
    addedTokens: specials.map((content, id) => ({ id, content, special: true })),
    bosId: specialId(specials, options.bosToken, 'bosToken'),
    eosId: specialId(specials, options.eosToken, 'eosToken'),
    chatTemplate: options.chatTemplate,
  });
}

function specialId(specials: readonly string[], token: string | undefined, option: string): number | undefined {
  if (token === undefined) return undefined;
  const id = specials.indexOf(token);
  if (id === -1) throw new Error(`${option} "${token}" is not one of the special tokens (${specials.join(', ')})`);
  return id;
}
