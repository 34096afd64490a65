import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../formats/errors.js';
import { GgufFile } from '../formats/gguf.js';
import { tokenizerFromGguf } from './gguf-tokenizer.js';
import { loadHfTokenizer } from './hf.js';
import { loadLlama2cTokenizer } from './llama2c-tokenizer.js';
import type { Tokenizer } from './types.js';

/**
 * Loads the tokenizer of a model: a directory with `tokenizer.json`, a `tokenizer.json` file, a `.gguf` file
 * (its embedded vocabulary) or a llama2.c `tok*.bin` (whose size, when known, is the model's vocabulary size).
 */
export function loadTokenizer(path: string, llama2cVocabSize?: number): Tokenizer {
  if (!existsSync(path)) throw new CheckpointError(`${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'tokenizer.json'))) return loadHfTokenizer(path);
    throw new CheckpointError(`${path}: directory has no tokenizer.json`);
  }
  if (path.endsWith('.json')) return loadHfTokenizer(path);
  if (path.endsWith('.gguf')) {
    const gguf = new GgufFile(path);
    try {
      return tokenizerFromGguf(gguf);
    } finally {
      gguf.close();
    }
  }
  if (path.endsWith('.bin')) return loadLlama2cTokenizer(path, llama2cVocabSize);
  throw new CheckpointError(`${path}: unknown tokenizer format (expected a directory with tokenizer.json, a .gguf or a llama2.c tok*.bin)`);
}
