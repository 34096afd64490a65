import { join } from 'node:path';
import { writeJsonAtomic } from '../util/fs.js';
import type { AddedToken } from './added-tokens.js';

/** The `added_tokens` entry of a tokenizer.json (and the value in tokenizer_config.json's `added_tokens_decoder`). */
export interface HfAddedTokenJson {
  id?: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Added tokens are matched verbatim in raw text: never normalised, never stripping neighbouring spaces. */
export function addedTokenJson(token: AddedToken): HfAddedTokenJson & { id: number } {
  return { id: token.id, content: token.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: token.special };
}

export interface TokenizerFilesOptions {
  addedTokens: readonly AddedToken[];
  bosToken: string | undefined;
  eosToken: string | undefined;
  unkToken?: string | undefined;
  chatTemplate: string | undefined;
  addBosToken?: boolean;
}

/** Writes `tokenizer.json` and a `tokenizer_config.json` that transformers' PreTrainedTokenizerFast loads as is. */
export function writeTokenizerFiles(dir: string, tokenizerJson: Record<string, unknown>, options: TokenizerFilesOptions): void {
  writeJsonAtomic(join(dir, 'tokenizer.json'), { version: '1.0', truncation: null, padding: null, ...tokenizerJson, added_tokens: options.addedTokens.map(addedTokenJson) });
  const decoder: Record<string, HfAddedTokenJson> = {};
  for (const t of options.addedTokens) {
    const { id, ...rest } = addedTokenJson(t);
    decoder[String(id)] = rest;
  }
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    added_tokens_decoder: decoder,
    bos_token: options.bosToken ?? null,
    eos_token: options.eosToken ?? null,
    clean_up_tokenization_spaces: false,
    model_max_length: 1e30,
  };
  if (options.unkToken !== undefined) config['unk_token'] = options.unkToken;
  if (options.addBosToken !== undefined) config['add_bos_token'] = options.addBosToken;
  if (options.chatTemplate !== undefined) config['chat_template'] = options.chatTemplate;
  writeJsonAtomic(join(dir, 'tokenizer_config.json'), config);
}
