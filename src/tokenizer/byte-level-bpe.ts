import { AddedTokenSet, type AddedToken } from './added-tokens.js';
import { fromByteChars, PRETOKENIZE_PATTERNS, toByteChars } from './byte-level.js';
import { writeTokenizerFiles } from './hf-files.js';
import { mergeSymbols } from './merge.js';
import { GGUF_TOKEN_TYPE, type AddTokensOptions, type DecodeOptions, type EncodeOptions, type GgufVocabulary, type Tokenizer } from './types.js';

export interface ByteLevelBpeModel {
  /** Token strings in byte-level characters, by id. */
  tokens: readonly string[];
  /** Merge rules in priority order. */
  merges: readonly (readonly [string, string])[];
  /** Pre-tokenizer split pattern name (a key of PRETOKENIZE_PATTERNS). */
  pretokenizer: string;
  /** Take a pre-token that is itself in the vocabulary whole, without merging (Llama 3). */
  ignoreMerges?: boolean;
  addedTokens: readonly AddedToken[];
  bosId?: number | undefined;
  eosId?: number | undefined;
  chatTemplate?: string | undefined;
}

/** Our pre-tokenizer names -> the `tokenizer.ggml.pre` name under which llama.cpp splits text the same way. */
const LLAMA_CPP_PRETOKENIZERS: Readonly<Record<string, string>> = { gpt2: 'gpt-2', 'llama-bpe': 'llama-bpe', qwen2: 'qwen2' };

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** GPT-2 style byte-level BPE: regex pre-tokenization, bytes mapped to characters, merges applied by rank. */
export class ByteLevelBpeTokenizer implements Tokenizer {
  private readonly tokens: string[];
  private readonly ids = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly merges: readonly (readonly [string, string])[];
  private readonly pattern: RegExp;
  private readonly pretokenizer: string;
  private readonly ignoreMerges: boolean;
  private readonly added: AddedTokenSet;
  private readonly cache = new Map<string, number[]>();
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly chatTemplate: string | undefined;

  constructor(model: ByteLevelBpeModel) {
    const pattern = PRETOKENIZE_PATTERNS[model.pretokenizer];
    if (!pattern) throw new Error(`unsupported pre-tokenizer "${model.pretokenizer}" (supported: ${Object.keys(PRETOKENIZE_PATTERNS).join(', ')})`);
    this.pattern = pattern;
    this.pretokenizer = model.pretokenizer;
    this.tokens = [...model.tokens];
    this.tokens.forEach((t, id) => {
      if (!this.ids.has(t)) this.ids.set(t, id);
    });
    this.merges = model.merges;
    model.merges.forEach(([a, b], rank) => {
      const key = `${a} ${b}`;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    this.ignoreMerges = model.ignoreMerges ?? false;
    this.added = new AddedTokenSet(model.addedTokens);
    for (const t of model.addedTokens) this.tokens[t.id] = t.content;
    this.bosId = model.bosId;
    this.eosId = model.eosId;
    this.chatTemplate = model.chatTemplate;
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const chars = toByteChars(word);
    const whole = this.ignoreMerges ? this.ids.get(chars) : undefined;
    const symbols = whole !== undefined ? [chars] : mergeSymbols(Array.from(chars), (a, b) => this.ranks.get(`${a} ${b}`));
    const ids = symbols.map((s) => {
      const id = this.ids.get(s);
      if (id === undefined) throw new Error(`byte-level BPE: symbol ${JSON.stringify(s)} of ${JSON.stringify(word)} is not in the vocabulary`);
      return id;
    });
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.addBos && this.bosId !== undefined) ids.push(this.bosId);
    for (const segment of this.added.split(text)) {
      if ('id' in segment) ids.push(segment.id);
      else for (const word of segment.text.match(this.pattern) ?? []) ids.push(...this.encodeWord(word));
    }
    if (options.addEos && this.eosId !== undefined) ids.push(this.eosId);
    return ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const chunks: Uint8Array[] = [];
    for (const id of ids) {
      if (this.isSpecial(id)) {
        if (!options.skipSpecial) chunks.push(utf8.encode(this.tokens[id]!));
      } else {
        chunks.push(this.tokenBytes(id));
      }
    }
    return utf8Decoder.decode(Buffer.concat(chunks));
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenBytes(id: number): Uint8Array {
    const token = this.tokens[id];
    const added = this.added.byTokenId(id);
    if (token === undefined || added?.special) return new Uint8Array(0);
    if (added) return utf8.encode(added.content);
    return fromByteChars(token) ?? utf8.encode(token);
  }

  isSpecial(id: number): boolean {
    return this.added.byTokenId(id)?.special ?? false;
  }

  addTokens(tokens: readonly string[], options: AddTokensOptions = {}): number[] {
    return tokens.map((content) => {
      const existing = this.added.get(content);
      if (existing) return existing.id;
      const id = this.tokens.length;
      this.tokens.push(content);
      this.added.add({ id, content, special: options.special ?? false });
      this.cache.clear();
      return id;
    });
  }

  ggufVocabulary(): GgufVocabulary {
    const pre = LLAMA_CPP_PRETOKENIZERS[this.pretokenizer];
    if (pre === undefined) throw new Error(`pre-tokenizer "${this.pretokenizer}" has no llama.cpp equivalent (supported: ${Object.keys(LLAMA_CPP_PRETOKENIZERS).join(', ')})`);
    const tokenTypes = this.tokens.map((_, id) => {
      const added = this.added.byTokenId(id);
      if (!added) return GGUF_TOKEN_TYPE.normal;
      return added.special ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.userDefined;
    });
    return {
      model: 'gpt2',
      pre,
      tokens: [...this.tokens],
      merges: this.merges.map(([a, b]) => `${a} ${b}`),
      tokenTypes,
      bosId: this.bosId,
      eosId: this.eosId,
      addBos: false,
    };
  }

  save(dir: string): void {
    const addedIds = new Set(this.added.list().map((t) => t.id));
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, id) => {
      if (!addedIds.has(id)) vocab[t] = id;
    });
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: this.pretokenizer === 'gpt2' };
    const tokenizerJson: Record<string, unknown> = {
      normalizer: null,
      pre_tokenizer:
        this.pretokenizer === 'gpt2'
          ? byteLevel
          : {
              type: 'Sequence',
              pretokenizers: [{ type: 'Split', pattern: { Regex: this.pattern.source }, behavior: 'Isolated', invert: false }, byteLevel],
            },
      post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: this.ignoreMerges,
        vocab,
        merges: this.merges.map(([a, b]) => [a, b]),
      },
    };
    writeTokenizerFiles(dir, tokenizerJson, {
      addedTokens: this.added.list(),
      bosToken: this.bosId === undefined ? undefined : this.tokens[this.bosId],
      eosToken: this.eosId === undefined ? undefined : this.tokens[this.eosId],
      chatTemplate: this.chatTemplate,
    });
  }
}
