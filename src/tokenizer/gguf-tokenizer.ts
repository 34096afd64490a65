import type { GgufFile, GgufValue } from '../models/formats/gguf.js';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.js';
import { SentencePieceTokenizer } from './sentencepiece.js';
import type { Tokenizer } from './types.js';

// llama.cpp token types (tokenizer.ggml.token_type).
const UNKNOWN = 2;
const CONTROL = 3;
const USER_DEFINED = 4;

/** llama.cpp pre-tokenizer names (tokenizer.ggml.pre) -> our split pattern names. */
const PRETOKENIZERS: Readonly<Record<string, string>> = { default: 'gpt2', gpt2: 'gpt2', 'llama-bpe': 'llama-bpe', llama3: 'llama-bpe', qwen2: 'qwen2' };

function list<T extends GgufValue>(gguf: GgufFile, key: string, check: (v: GgufValue) => v is T): T[] {
  const value = gguf.get(key);
  if (!Array.isArray(value) || !value.every(check)) throw new Error(`${gguf.path}: metadata "${key}" is missing or not an array of the expected type`);
  return value as T[];
}

const isString = (v: GgufValue): v is string => typeof v === 'string';
const isNumber = (v: GgufValue): v is number => typeof v === 'number';

function optionalId(gguf: GgufFile, key: string, vocabSize: number): number | undefined {
  const v = gguf.get(key);
  return typeof v === 'number' && v < vocabSize ? v : undefined;
}

/** The tokenizer embedded in a GGUF file: `tokenizer.ggml.model` "llama" (SentencePiece) or "gpt2" (byte-level BPE). */
export function tokenizerFromGguf(gguf: GgufFile): Tokenizer {
  const model = gguf.get('tokenizer.ggml.model');
  const tokens = list(gguf, 'tokenizer.ggml.tokens', isString);
  const types = gguf.get('tokenizer.ggml.token_type') === undefined ? tokens.map(() => 1) : list(gguf, 'tokenizer.ggml.token_type', isNumber);
  const bosId = optionalId(gguf, 'tokenizer.ggml.bos_token_id', tokens.length);
  const eosId = optionalId(gguf, 'tokenizer.ggml.eos_token_id', tokens.length);
  const template = gguf.get('tokenizer.chat_template');
  const chatTemplate = typeof template === 'string' ? template : undefined;
  const idsOfType = (...wanted: number[]): number[] => types.flatMap((t, id) => (wanted.includes(t) ? [id] : []));

  if (model === 'llama') {
    const tokenizer = new SentencePieceTokenizer({
      pieces: tokens,
      scores: list(gguf, 'tokenizer.ggml.scores', isNumber),
      specialIds: idsOfType(UNKNOWN, CONTROL),
      bosId,
      eosId,
      unkId: optionalId(gguf, 'tokenizer.ggml.unknown_token_id', tokens.length),
      chatTemplate,
    });
    // User-defined pieces are matched verbatim in the text, as llama.cpp does.
    tokenizer.addTokens(idsOfType(USER_DEFINED).map((id) => tokens[id]!));
    return tokenizer;
  }
  if (model === 'gpt2') {
    const pre = gguf.get('tokenizer.ggml.pre') ?? 'default';
    const pretokenizer = typeof pre === 'string' ? PRETOKENIZERS[pre] : undefined;
    if (!pretokenizer) throw new Error(`${gguf.path}: pre-tokenizer "${String(pre)}" is not supported (supported: ${Object.keys(PRETOKENIZERS).join(', ')})`);
    const merges = list(gguf, 'tokenizer.ggml.merges', isString).map((m) => {
      const space = m.indexOf(' ', 1);
      return [m.slice(0, space), m.slice(space + 1)] as const;
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
  throw new Error(`${gguf.path}: tokenizer model ${JSON.stringify(model)} is not supported (supported: "llama", "gpt2")`);
}
