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

/** A text <-> token id mapping with the metadata generation and training need. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /** The Jinja chat template shipped with the tokenizer, if any. */
  readonly chatTemplate: string | undefined;
  encode(text: string, options?: EncodeOptions): number[];
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
  /** Writes a Hugging Face `tokenizer.json` and `tokenizer_config.json` into `dir`. */
  save(dir: string): void;
}
