export interface EncodeOptions {
  /** Prepend the BOS token (default false). */
  addBos?: boolean;
  /** Append the EOS token (default false). */
  addEos?: boolean;
}

export interface DecodeOptions {
  /** Leave special/control tokens out of the text (default false: they appear as their content). */
  skipSpecial?: boolean;
}

export interface AddTokensOptions {
  /** Special tokens are control tokens: skipped by `decode({ skipSpecial })` and contributing no bytes. */
  special?: boolean;
}

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const GGUF_TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/**
 * A vocabulary in the form llama.cpp's tokenizers read from GGUF: `llama` is SentencePiece BPE driven by piece
 * scores, `gpt2` is byte-level BPE driven by ranked merges ("left right") after the named pre-tokenizer split
 * (`pre`). `tokenTypes` holds GGUF_TOKEN_TYPE values, one per token.
 */
export type GgufVocabulary =
  | { model: 'llama'; tokens: string[]; scores: number[]; tokenTypes: number[]; bosId: number | undefined; eosId: number | undefined; unkId: number | undefined; addBos: boolean }
  | { model: 'gpt2'; pre: string; tokens: string[]; merges: string[]; tokenTypes: number[]; bosId: number | undefined; eosId: number | undefined; addBos: boolean };

/** A text <-> token id mapping with the metadata generation and training need. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /** The Jinja chat template shipped with the tokenizer, if any. */
  readonly chatTemplate: string | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  /** Text of the ids; an empty list decodes to ''. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /**
   * The exact bytes token `id` contributes to decoded text in the middle of a sequence: SentencePiece '▁' is a
   * space, byte-fallback `<0xAB>` is that byte, byte-level BPE symbols are their bytes, special tokens are empty.
   */
  tokenBytes(id: number): Uint8Array;
  isSpecial(id: number): boolean;
  /**
   * Appends tokens to the vocabulary (an existing added token keeps its id); each becomes one token in `encode`
   * and decodes back to its text. Returns their ids.
   */
  addTokens(tokens: readonly string[], options?: AddTokensOptions): number[];
  /** The vocabulary as llama.cpp reads it from GGUF; absent (or throwing with the reason) where llama.cpp cannot reproduce the tokenizer. */
  ggufVocabulary?(): GgufVocabulary;
  /** Writes a Hugging Face `tokenizer.json` and `tokenizer_config.json` into `dir`. */
  save(dir: string): void;
}
