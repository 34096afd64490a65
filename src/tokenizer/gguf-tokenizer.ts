import type { GgufFile, GgufMetadataEntry, GgufValue } from '../formats/gguf.js';
import { CheckpointError } from '../formats/errors.js';
import { tokenId } from '../formats/llama-mapping.js';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.js';
import { BYTE_TO_CHAR } from './byte-level.js';
import { SentencePieceTokenizer } from './sentencepiece.js';
import { GGUF_TOKEN_TYPE, type Tokenizer } from './types.js';

const { unknown: UNKNOWN, control: CONTROL, userDefined: USER_DEFINED } = GGUF_TOKEN_TYPE;

/** llama.cpp pre-tokenizer names (tokenizer.ggml.pre) -> our split pattern names. */
const PRETOKENIZERS: Readonly<Record<string, string>> = { default: 'gpt2', gpt2: 'gpt2', 'gpt-2': 'gpt2', 'llama-bpe': 'llama-bpe', llama3: 'llama-bpe', qwen2: 'qwen2' };

function list<T extends GgufValue>(gguf: GgufFile, key: string, check: (v: GgufValue) => v is T, length?: number): T[] {
  const value = gguf.get(key);
  if (!Array.isArray(value) || !value.every(check)) throw new CheckpointError(`${gguf.path}: metadata "${key}" is missing or not an array of the expected type`);
  if (length !== undefined && value.length !== length) throw new CheckpointError(`${gguf.path}: metadata "${key}" has ${value.length} entries for ${length} tokens`);
  return value as T[];
}

const isString = (v: GgufValue): v is string => typeof v === 'string';
const isNumber = (v: GgufValue): v is number => typeof v === 'number';

/** The tokenizer embedded in a GGUF file: `tokenizer.ggml.model` "llama" (SentencePiece) or "gpt2" (byte-level BPE). */
export function tokenizerFromGguf(gguf: GgufFile): Tokenizer {
  const model = gguf.get('tokenizer.ggml.model');
  const tokens = list(gguf, 'tokenizer.ggml.tokens', isString);
  if (tokens.length === 0) throw new CheckpointError(`${gguf.path}: metadata "tokenizer.ggml.tokens" is empty`);
  const types = gguf.get('tokenizer.ggml.token_type') === undefined ? tokens.map(() => 1) : list(gguf, 'tokenizer.ggml.token_type', isNumber, tokens.length);
  const bosId = tokenId(gguf, 'tokenizer.ggml.bos_token_id', tokens.length);
  const eosId = tokenId(gguf, 'tokenizer.ggml.eos_token_id', tokens.length);
  const template = gguf.get('tokenizer.chat_template');
  const chatTemplate = typeof template === 'string' ? template : undefined;
  const idsOfType = (...wanted: number[]): number[] => types.flatMap((t, id) => (wanted.includes(t) ? [id] : []));
  for (const id of idsOfType(CONTROL, USER_DEFINED)) {
    if (tokens[id] === '') throw new CheckpointError(`${gguf.path}: token ${id} is a control or user-defined token with empty text`);
  }

  if (model === 'llama') {
    const tokenizer = new SentencePieceTokenizer({
      pieces: tokens,
      scores: list(gguf, 'tokenizer.ggml.scores', isNumber, tokens.length),
      specialIds: idsOfType(UNKNOWN, CONTROL),
      bosId,
      eosId,
      unkId: tokenId(gguf, 'tokenizer.ggml.unknown_token_id', tokens.length),
      chatTemplate,
    });
    // User-defined pieces are matched verbatim in the text, as llama.cpp does.
    tokenizer.addTokens(idsOfType(USER_DEFINED).map((id) => tokens[id]!));
    return tokenizer;
  }
  if (model === 'gpt2') {
    const pre = gguf.get('tokenizer.ggml.pre') ?? 'default';
    const pretokenizer = typeof pre === 'string' ? PRETOKENIZERS[pre] : undefined;
    if (!pretokenizer) throw new CheckpointError(`${gguf.path}: pre-tokenizer "${String(pre)}" is not supported (supported: ${Object.keys(PRETOKENIZERS).join(', ')})`);
    // Every symbol encoding can produce must be a token: the 256 byte symbols and each merge's parts and result
    // (the check @huggingface/tokenizers makes when it loads a BPE model).
    const known = new Set(tokens);
    const missingByte = BYTE_TO_CHAR.findIndex((c) => !known.has(c));
    if (missingByte >= 0) throw new CheckpointError(`${gguf.path}: the byte-level vocabulary has no token for byte 0x${missingByte.toString(16)}`);
    const merges = list(gguf, 'tokenizer.ggml.merges', isString).map((m, i) => {
      const space = m.indexOf(' ', 1);
      if (space < 0) throw new CheckpointError(`${gguf.path}: merge ${i} ${JSON.stringify(m)} is not two symbols separated by a space`);
      const pair = [m.slice(0, space), m.slice(space + 1)] as const;
      if (!known.has(pair[0]) || !known.has(pair[1]) || !known.has(pair[0] + pair[1])) {
        throw new CheckpointError(`${gguf.path}: merge ${i} ${JSON.stringify(m)} joins or makes a symbol that is not in the vocabulary`);
      }
      return pair;
    });
    return new ByteLevelBpeTokenizer({
      tokens,
      merges,
      pretokenizer,
      ignoreMerges: pretokenizer === 'llama-bpe',
      addedTokens: idsOfType(CONTROL, USER_DEFINED).map((id) => ({ id, content: tokens[id]!, special: types[id] === CONTROL })),
      bosId,
      eosId,
      chatTemplate,
    });
  }
  throw new CheckpointError(`${gguf.path}: tokenizer model ${JSON.stringify(model)} is not supported (supported: "llama", "gpt2")`);
}

const stringArray = (value: string[]): GgufMetadataEntry => ({ type: 'array', itemType: 'string', value });

/**
 * GGUF `tokenizer.*` metadata for `tokenizer`, so llama.cpp tokenizes as toolken does. llama.cpp sizes the
 * embedding by the token list, so a vocabulary smaller than the model's `vocabSize` rows is padded with unused
 * `[PAD<id>]` tokens (as llama.cpp's own converter does).
 */
export function ggufTokenizerMetadata(tokenizer: Tokenizer, vocabSize = tokenizer.vocabSize): Record<string, GgufMetadataEntry> {
  if (!tokenizer.ggufVocabulary) throw new Error(`${tokenizer.constructor.name} cannot be written as GGUF tokenizer metadata (only SentencePiece and byte-level BPE vocabularies can)`);
  const vocab = tokenizer.ggufVocabulary();
  if (vocab.tokens.length > vocabSize) throw new Error(`the tokenizer has ${vocab.tokens.length} tokens but the model only ${vocabSize} embedding rows`);
  const padding = Array.from({ length: vocabSize - vocab.tokens.length }, (_, i) => vocab.tokens.length + i);
  const meta: Record<string, GgufMetadataEntry> = {
    'tokenizer.ggml.model': { type: 'string', value: vocab.model },
    'tokenizer.ggml.tokens': stringArray([...vocab.tokens, ...padding.map((id) => `[PAD${id}]`)]),
    'tokenizer.ggml.token_type': { type: 'array', itemType: 'i32', value: [...vocab.tokenTypes, ...padding.map(() => GGUF_TOKEN_TYPE.unused)] },
  };
  if (vocab.model === 'llama') {
    meta['tokenizer.ggml.scores'] = { type: 'array', itemType: 'f32', value: [...vocab.scores, ...padding.map(() => 0)] };
    if (vocab.unkId !== undefined) meta['tokenizer.ggml.unknown_token_id'] = { type: 'u32', value: vocab.unkId };
  } else {
    meta['tokenizer.ggml.pre'] = { type: 'string', value: vocab.pre };
    meta['tokenizer.ggml.merges'] = stringArray(vocab.merges);
  }
  if (vocab.bosId !== undefined) meta['tokenizer.ggml.bos_token_id'] = { type: 'u32', value: vocab.bosId };
  if (vocab.eosId !== undefined) meta['tokenizer.ggml.eos_token_id'] = { type: 'u32', value: vocab.eosId };
  meta['tokenizer.ggml.add_bos_token'] = { type: 'bool', value: vocab.addBos };
  meta['tokenizer.ggml.add_eos_token'] = { type: 'bool', value: false };
  if (tokenizer.chatTemplate !== undefined) meta['tokenizer.chat_template'] = { type: 'string', value: tokenizer.chatTemplate };
  return meta;
}
