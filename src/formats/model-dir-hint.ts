/**
 * What to pass instead when a folder given as a model is not one: the checkpoint files inside it, or the
 * sub-folders that are models (the demo writes its model to <out>/model/). Messages, not loading.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CHECKPOINT_SUFFIXES = ['.gguf', '.bin'];
/** llama2.c tokenizers are .bin files too (tok512.bin, tokenizer.bin); they are not models. */
const isTokenizerFile = (name: string): boolean => /^tok.*\.bin$/.test(name);

/** `; pass X instead` naming what inside `dir` is a model (sub-folders holding `marker`, checkpoint files), or ''. */
export function modelInsideHint(dir: string, marker = 'config.json'): string {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return '';
  }
  const folders = entries.filter((name) => existsSync(join(dir, name, marker)) && statSync(join(dir, name)).isDirectory()).map((name) => join(dir, name));
  if (folders.length > 0) return `; the model is in a folder below it: pass ${folders.join(' or ')}`;
  const files = entries.filter((name) => CHECKPOINT_SUFFIXES.some((suffix) => name.endsWith(suffix)) && !isTokenizerFile(name) && statSync(join(dir, name)).isFile());
  if (marker === 'config.json' && files.length > 0) return `; it holds checkpoint files: pass one of them, e.g. ${join(dir, files[0]!)}${files.length > 1 ? ` (also: ${files.slice(1).join(', ')})` : ''}`;
  return '';
}
