import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate, type DecoderSession, type SessionFactory } from './generate.js';
import { DecoderModel } from '../models/decoder.js';
import type { DecoderConfig } from '../models/config.js';
import { refBackend } from '../tensor/backends/ref.js';

const TINY_DECODER: DecoderConfig = {
  family: 'llama', vocabSize: 37, dim: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, hiddenDim: 24, normEps: 1e-5,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 64, bosTokenId: 1, eosTokenIds: [2],
};

const VOCAB = 10;

/** A model that predicts "last token + 1 (mod 10)" with certainty; it records what it was asked. */
class CountingModel implements SessionFactory {
  readonly calls: string[] = [];
  createSession(sequences: number, capacity: number): DecoderSession {
    const last = new Array<number>(sequences).fill(-1);
    const lengths = new Array<number>(sequences).fill(0);
    const calls = this.calls;
    calls.push(`session ${sequences}x${capacity}`);
    const logitsAfter = (token: number, out: Float32Array, row: number) => {
      out.fill(0, row * VOCAB, (row + 1) * VOCAB);
      out[row * VOCAB + ((token + 1) % VOCAB)] = 10;
    };
    return {
      vocabSize: VOCAB,
      capacity,
      prefill(sequence, tokens) {
        calls.push(`prefill ${sequence} [${tokens.join(',')}]`);
        lengths[sequence]! += tokens.length;
        last[sequence] = tokens[tokens.length - 1]!;
        const out = new Float32Array(VOCAB);
        logitsAfter(last[sequence]!, out, 0);
        return out;
      },
      decode(sequences, tokens) {
        calls.push(`decode [${sequences.join(',')}] [${tokens.join(',')}]`);
        const out = new Float32Array(sequences.length * VOCAB);
        sequences.forEach((s, row) => {
          lengths[s]!++;
          assert.ok(lengths[s]! <= capacity, 'the session capacity covers prompt + max tokens');
          logitsAfter(tokens[row]!, out, row);
        });
        return out;
      },
      lastHidden() {
        throw new Error('CountingModel has no hidden states (generation never asks for them)');
      },
    };
  }
}

const digits = { decode: (ids: readonly number[]) => ids.join('') };

test('greedy generation stops at max tokens and reports why', () => {
  const [r] = generate(new CountingModel(), [[3]], { maxTokens: 4, decoder: digits });
  assert.deepEqual(r, { tokens: [4, 5, 6, 7], text: '4567', finishReason: 'length' });
});

test('prompts of different lengths batch together and each finishes on its own', () => {
  const model = new CountingModel();
  const results = generate(model, [[1, 2], [7]], { maxTokens: 5, stopTokens: [0] });
  assert.deepEqual(results.map((r) => [r.tokens, r.finishReason]), [
    [[3, 4, 5, 6, 7], 'length'],
    [[8, 9], 'eos'],
  ]);
  assert.deepEqual(model.calls, [
    'session 2x7',
    'prefill 0 [1,2]',
    'prefill 1 [7]',
    'decode [0,1] [3,8]',
    'decode [0,1] [4,9]',
    'decode [0] [5]',
    'decode [0] [6]',
  ]);
});

test('a stop string ends the sequence and is cut from the text', () => {
  const [r] = generate(new CountingModel(), [[0]], { maxTokens: 9, stopStrings: ['45'], decoder: digits });
  assert.equal(r!.text, '123');
  assert.equal(r!.finishReason, 'stop-string');
  assert.deepEqual(r!.tokens, [1, 2, 3, 4, 5]);
});

test('text held back as a possible stop string is released once, when generation ends', () => {
  const pieces: string[] = [];
  const [r] = generate(new CountingModel(), [[5]], { maxTokens: 4, stopStrings: ['90'], decoder: digits, onText: (t) => pieces.push(t) });
  assert.equal(r!.text, '6789');
  assert.deepEqual(pieces, ['6', '7', '8', '9']);
  assert.equal(r!.finishReason, 'length');
});

test('the logits hook sees every step of every sequence and can force a token', () => {
  const seen: string[] = [];
  const [a, b] = generate(new CountingModel(), [[0], [5]], {
    maxTokens: 2,
    logitsHook: (logits, generated, sequenceIndex) => {
      seen.push(`${sequenceIndex}:${generated.join(',')}`);
      if (sequenceIndex === 1) logits[9] = 100;
    },
  });
  assert.deepEqual(a!.tokens, [1, 2]);
  assert.deepEqual(b!.tokens, [9, 9]);
  assert.deepEqual(seen, ['0:', '1:', '0:1', '1:9']);
});

test('streaming callbacks receive tokens and text pieces in order', () => {
  const tokens: string[] = [];
  const pieces: string[] = [];
  generate(new CountingModel(), [[2]], {
    maxTokens: 3,
    decoder: digits,
    onToken: (t, s) => tokens.push(`${s}:${t}`),
    onText: (text) => pieces.push(text),
  });
  assert.deepEqual(tokens, ['0:3', '0:4', '0:5']);
  assert.equal(pieces.join(''), '345');
});

test('bad requests are refused with the reason', () => {
  assert.throws(() => generate(new CountingModel(), [[]]), /prompt 0 is empty/);
  assert.throws(() => generate(new CountingModel(), [[1]], { maxTokens: 0 }), /maxTokens must be a positive integer/);
  assert.throws(() => generate(new CountingModel(), [[1]], { stopStrings: ['x'] }), /stop strings need a decoder/);
});

test('batched generation of prompts of different lengths equals generating each alone', () => {
  const model = DecoderModel.random(TINY_DECODER, 3, 0.3, refBackend);
  const prompts = [[1, 4, 4, 8, 20], [1, 11], [1, 30, 2]];
  const options = { maxTokens: 8, temperature: 0 };
  const together = generate(model, prompts, options).map((r) => r.tokens);
  const alone = prompts.map((p) => generate(model, [p], options)[0]!.tokens);
  assert.deepEqual(together, alone);
  assert.equal(together[0]!.length, 8);
});
