import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfLibraryTokenizer } from '@huggingface/tokenizers';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { CheckpointError } from '../formats/errors.js';
import { addedTokenJson, type HfAddedTokenJson } from './hf-files.js';
import { fromByteChars, PRETOKENIZE_PATTERNS } from './byte-level.js';
import { GGUF_TOKEN_TYPE, type AddTokensOptions, type DecodeOptions, type EncodeOptions, type GgufVocabulary, type Tokenizer } from './types.js';

/** How a vocabulary entry maps to bytes, read off the tokenizer.json decoder. */
type TokenTextForm = 'byte-level' | 'sentencepiece' | 'plain';

/** A parsed Hugging Face `tokenizer.json` (only the parts read here are typed). */
export interface HfTokenizerJson {
  added_tokens?: (HfAddedTokenJson & { id: number })[];
  decoder?: unknown;
  model?: { type?: string; vocab?: Record<string, number> | [string, number][]; merges?: (string | [string, string])[] };
  [key: string]: unknown;
}

/** A parsed `tokenizer_config.json`. */
export interface HfTokenizerConfigJson {
  bos_token?: unknown;
  eos_token?: unknown;
  chat_template?: unknown;
  added_tokens_decoder?: Record<string, HfAddedTokenJson>;
  [key: string]: unknown;
}

/**
 * Split regexes of byte-level pre-tokenizers -> the `tokenizer.ggml.pre` name under which llama.cpp splits the
 * same way: as Hugging Face ships them, and as our own ByteLevelBpeTokenizer saves them.
 */
const LLAMA_CPP_SPLITS: Readonly<Record<string, string>> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'llama-bpe',
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'qwen2',
  [PRETOKENIZE_PATTERNS['llama-bpe']!.source]: 'llama-bpe',
  [PRETOKENIZE_PATTERNS['qwen2']!.source]: 'qwen2',
};

/** The llama.cpp pre-tokenizer equivalent to a tokenizer.json `pre_tokenizer`, or undefined when there is none. */
function llamaCppPretokenizer(preTokenizer: unknown): string | undefined {
  const node = preTokenizer as { type?: string; use_regex?: boolean; pretokenizers?: unknown[]; pattern?: { Regex?: string } } | null;
  if (node?.type === 'ByteLevel') return node.use_regex === false ? undefined : 'gpt-2';
  if (node?.type !== 'Sequence' || node.pretokenizers?.length !== 2) return undefined;
  const [split, byteLevel] = node.pretokenizers as { type?: string; use_regex?: boolean; pattern?: { Regex?: string } }[];
  if (split?.type !== 'Split' || byteLevel?.type !== 'ByteLevel' || byteLevel.use_regex !== false) return undefined;
  return split.pattern?.Regex === undefined ? undefined : LLAMA_CPP_SPLITS[split.pattern.Regex];
}

const utf8 = new TextEncoder();
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** A special token in tokenizer_config.json is a string or an AddedToken object with `content`. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** `chat_template` is a string, or a list of named templates of which "default" (else the first) is used. */
function chatTemplateOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as { name?: string; template?: string }[];
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

/**
 * A Hugging Face `tokenizer.json` tokenizer run by @huggingface/tokenizers. Added tokens are written into the
 * tokenizer.json itself (and the library rebuilt), so what `save` writes is exactly what encodes here.
 */
export class HfTokenizer implements Tokenizer {
  private built: HfLibraryTokenizer | undefined;
  private readonly form: TokenTextForm;
  private readonly modelVocabSize: number;
  private readonly added = new Map<number, HfAddedTokenJson & { id: number }>();
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly chatTemplate: string | undefined;

  constructor(
    private readonly tokenizerJson: HfTokenizerJson,
    private readonly config: HfTokenizerConfigJson = {},
  ) {
    this.built = new HfLibraryTokenizer(tokenizerJson, config);
    for (const t of tokenizerJson.added_tokens ?? []) this.added.set(t.id, t);
    const vocab = tokenizerJson.model?.vocab ?? {};
    this.modelVocabSize = Array.isArray(vocab) ? vocab.length : Object.values(vocab).reduce((m, id) => Math.max(m, id + 1), 0);
    const decoder = JSON.stringify(tokenizerJson.decoder ?? null);
    this.form = decoder.includes('"ByteLevel"') ? 'byte-level' : decoder.includes('"ByteFallback"') || decoder.includes('"Metaspace"') ? 'sentencepiece' : 'plain';
    const id = (value: unknown): number | undefined => {
      const content = tokenContent(value);
      return content === undefined ? undefined : this.impl.token_to_id(content);
    };
    this.bosId = id(config.bos_token);
    this.eosId = id(config.eos_token);
    this.chatTemplate = chatTemplateOf(config.chat_template);
  }

  /** The library tokenizer, rebuilt after tokens were added (once for a batch of addTokens calls). */
  private get impl(): HfLibraryTokenizer {
    this.built ??= new HfLibraryTokenizer(this.tokenizerJson, this.config);
    return this.built;
  }

  get vocabSize(): number {
    let size = this.modelVocabSize;
    for (const id of this.added.keys()) size = Math.max(size, id + 1);
    return size;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.impl.encode(text, { add_special_tokens: false }).ids;
    // The library yields undefined for pieces its vocabulary lacks when there is no unknown token.
    if (!ids.every((id: number | undefined) => Number.isInteger(id))) throw new Error(`cannot encode ${JSON.stringify(text.slice(0, 40))}: the tokenizer has no token for part of it and no unknown token`);
    if (options.addBos && this.bosId !== undefined) ids.unshift(this.bosId);
    if (options.addEos && this.eosId !== undefined) ids.push(this.eosId);
    return ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    // The library refuses an empty list; for every toolken Tokenizer the empty sequence decodes to ''.
    if (ids.length === 0) return '';
    return this.impl.decode([...ids], { skip_special_tokens: options.skipSpecial ?? false, clean_up_tokenization_spaces: false });
  }

  tokenToId(token: string): number | undefined {
    return this.impl.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.added.get(id)?.content ?? this.impl.id_to_token(id);
  }

  tokenBytes(id: number): Uint8Array {
    const added = this.added.get(id);
    if (added) return added.special ? new Uint8Array(0) : utf8.encode(added.content);
    const token = this.impl.id_to_token(id);
    if (token === undefined) return new Uint8Array(0);
    if (this.form === 'byte-level') return fromByteChars(token) ?? utf8.encode(token);
    if (this.form === 'sentencepiece') {
      const byte = BYTE_PIECE.exec(token);
      return byte ? Uint8Array.of(parseInt(byte[1]!, 16)) : utf8.encode(token.replaceAll('\u2581', ' '));
    }
    return utf8.encode(token);
  }

  isSpecial(id: number): boolean {
    return this.added.get(id)?.special ?? false;
  }

  addTokens(tokens: readonly string[], options: AddTokensOptions = {}): number[] {
    const byContent = new Map([...this.added.values()].map((t) => [t.content, t.id]));
    const ids: number[] = [];
    let changed = false;
    for (const content of tokens) {
      const existing = byContent.get(content);
      if (existing !== undefined) {
        ids.push(existing);
        continue;
      }
      if (content.length === 0) throw new Error('an added token cannot be the empty string');
      const token = addedTokenJson({ id: this.vocabSize, content, special: options.special ?? false });
      this.added.set(token.id, token);
      byContent.set(content, token.id);
      ids.push(token.id);
      changed = true;
    }
    if (changed) {
      const list = [...this.added.values()].sort((a, b) => a.id - b.id);
      this.tokenizerJson.added_tokens = list;
      this.config.added_tokens_decoder = Object.fromEntries(list.map(({ id, ...rest }) => [String(id), rest]));
      this.built = undefined;
    }
    return ids;
  }

  /** Byte-level BPE only, with a pre-tokenizer llama.cpp knows; anything else is refused with the reason. */
  ggufVocabulary(): GgufVocabulary {
    const model = this.tokenizerJson.model ?? {};
    if (model.type !== 'BPE' || this.form !== 'byte-level') throw new Error('only byte-level BPE tokenizer.json files can be written as GGUF tokenizer metadata');
    const pre = llamaCppPretokenizer(this.tokenizerJson['pre_tokenizer']);
    if (pre === undefined) throw new Error(`tokenizer.json pre_tokenizer ${JSON.stringify(this.tokenizerJson['pre_tokenizer'])} has no llama.cpp equivalent (supported: GPT-2 ByteLevel, the Llama 3 and Qwen2 splits)`);
    const tokens = Array.from({ length: this.vocabSize }, (_, id) => `[PAD${id}]`);
    const tokenTypes: number[] = tokens.map(() => GGUF_TOKEN_TYPE.unused);
    const vocab = model.vocab ?? {};
    for (const [token, id] of Array.isArray(vocab) ? vocab.map(([t], i) => [t, i] as const) : Object.entries(vocab)) {
      tokens[id] = token;
      tokenTypes[id] = GGUF_TOKEN_TYPE.normal;
    }
    for (const [id, added] of this.added) {
      tokens[id] = added.content;
      tokenTypes[id] = added.special ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.userDefined;
    }
    return {
      model: 'gpt2',
      pre,
      tokens,
      merges: (model.merges ?? []).map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`)),
      tokenTypes,
      bosId: this.bosId,
      eosId: this.eosId,
      addBos: this.config['add_bos_token'] === true,
    };
  }

  save(dir: string): void {
    // Compact: indenting a 150k-entry vocabulary and merge list only makes the file several times larger.
    writeFileAtomic(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizerJson));
    const config: HfTokenizerConfigJson = { ...this.config, added_tokens_decoder: Object.fromEntries([...this.added.values()].sort((a, b) => a.id - b.id).map(({ id, ...rest }) => [String(id), rest])) };
    if (this.chatTemplate !== undefined) config.chat_template = this.chatTemplate;
    writeJsonAtomic(join(dir, 'tokenizer_config.json'), config);
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read tokenizer file (${(err as Error).message})`);
  }
}

/** The tokenizer models of tokenizer.json. */
const MODEL_TYPES: ReadonlySet<string> = new Set(['BPE', 'WordPiece', 'WordLevel', 'Unigram']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isTokenId = (id: unknown): id is number => Number.isSafeInteger(id) && (id as number) >= 0;

/**
 * The parts of a tokenizer.json this class reads itself, checked before use: a `model` object, a vocabulary of
 * token -> id (or [token, score] pairs), merges as strings or pairs, added tokens with an id and non-empty text.
 * Returns the problem, or undefined when the file has the expected form.
 */
function tokenizerJsonProblem(json: unknown): string | undefined {
  if (!isRecord(json) || !isRecord(json['model'])) return 'not a Hugging Face tokenizer.json (no "model" object)';
  const { type, vocab, merges } = json['model'];
  if (typeof type !== 'string' || !MODEL_TYPES.has(type)) return `"model.type" is ${JSON.stringify(type)}, not one of ${[...MODEL_TYPES].join(', ')}`;
  if (vocab !== undefined) {
    if (Array.isArray(vocab)) {
      if (!vocab.every((entry) => Array.isArray(entry) && typeof entry[0] === 'string')) return '"model.vocab" must be a list of [token, score] pairs';
    } else if (!isRecord(vocab) || !Object.values(vocab).every(isTokenId)) {
      return '"model.vocab" must map tokens to non-negative integer ids';
    }
  }
  if (merges !== undefined && (!Array.isArray(merges) || !merges.every((m) => typeof m === 'string' || (Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string'))))) {
    return '"model.merges" must be a list of "a b" strings or [a, b] pairs';
  }
  if (type === 'BPE' && isRecord(vocab) && Array.isArray(merges)) {
    // Every merge joins two tokens into a token, the check the Rust library makes when it loads a BPE model.
    for (const [i, merge] of merges.entries()) {
      const [a, b] = typeof merge === 'string' ? [merge.slice(0, merge.indexOf(' ', 1)), merge.slice(merge.indexOf(' ', 1) + 1)] : (merge as [string, string]);
      if (!Object.hasOwn(vocab, a) || !Object.hasOwn(vocab, b) || !Object.hasOwn(vocab, a + b)) return `merge ${i} ${JSON.stringify(merge)} joins or makes a token that is not in "model.vocab"`;
    }
  }
  const added = json['added_tokens'];
  if (added !== undefined && (!Array.isArray(added) || !added.every((t) => isRecord(t) && isTokenId(t['id']) && typeof t['content'] === 'string' && t['content'] !== ''))) {
    return '"added_tokens" must be a list of {id, content} objects with non-empty content';
  }
  return undefined;
}

/**
 * Loads `tokenizer.json` (+ `tokenizer_config.json`, and `chat_template.jinja` when present) from a model
 * directory, or a tokenizer.json path. A file that is not a tokenizer, or that @huggingface/tokenizers refuses,
 * is a CheckpointError naming it.
 */
export function loadHfTokenizer(path: string): HfTokenizer {
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : join(path, '..');
  const file = dir === path ? join(dir, 'tokenizer.json') : path;
  if (!existsSync(file)) throw new CheckpointError(`${file}: no tokenizer.json (a Hugging Face tokenizer directory needs one)`);
  const tokenizerJson = readJson(file);
  const problem = tokenizerJsonProblem(tokenizerJson);
  if (problem !== undefined) throw new CheckpointError(`${file}: ${problem}`);
  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? readJson(configPath) : {};
  if (!isRecord(config)) throw new CheckpointError(`${configPath}: not a JSON object`);
  if (config['added_tokens_decoder'] !== undefined && !isRecord(config['added_tokens_decoder'])) {
    throw new CheckpointError(`${configPath}: "added_tokens_decoder" must be an object of id -> token`);
  }
  const templatePath = join(dir, 'chat_template.jinja');
  if (config['chat_template'] === undefined && existsSync(templatePath)) config['chat_template'] = readFileSync(templatePath, 'utf8');
  try {
    return new HfTokenizer(tokenizerJson as HfTokenizerJson, config as HfTokenizerConfigJson);
  } catch (err) {
    // The library validates the rest of the format (normalizers, pre-tokenizers, decoders) as it builds.
    throw new CheckpointError(`${file}: @huggingface/tokenizers cannot build this tokenizer (${(err as Error).message})`);
  }
}
