/**
 * Fuzz targets for everything toolken reads from a checkpoint: safetensors weights and shard indexes, config.json,
 * GGUF (model and embedded tokenizer), llama2.c checkpoints and tokenizers, tokenizer.json. Seeds are tiny models
 * toolken itself writes (saveModel, exportGguf, tokenizer.save), generated in memory when the targets are first used.
 * A clean rejection is one of the loaders' typed errors, whose messages name the file and the problem.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../../../src/formats/errors.js';
import { ModelConfigError, type DecoderConfig } from '../../../src/models/config.js';
import { DecoderModel, decoderWeightShapes, WeightMismatchError } from '../../../src/models/decoder.js';
import { loadDecoder, ModelLoadError } from '../../../src/models/load.js';
import { exportGguf, saveModel } from '../../../src/models/save.js';
import { refBackend } from '../../../src/tensor/backends/ref.js';
import { trainByteLevelBpe } from '../../../src/tokenizer/bpe-trainer.js';
import { loadTokenizer } from '../../../src/tokenizer/load.js';
import { SentencePieceTokenizer } from '../../../src/tokenizer/sentencepiece.js';
import type { Tokenizer } from '../../../src/tokenizer/types.js';
import type { FuzzTarget } from '../target.js';

const VOCAB = 260;

const CONFIG: DecoderConfig = {
  family: 'llama', vocabSize: VOCAB, dim: 8, layers: 2, heads: 2, kvHeads: 1, headDim: 4, hiddenDim: 16, normEps: 1e-5,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 16, bosTokenId: 1, eosTokenIds: [2],
};

/** Errors that mean "this file was refused with a message naming it". */
function isCleanRejection(error: unknown): boolean {
  return error instanceof CheckpointError || error instanceof ModelLoadError || error instanceof ModelConfigError || error instanceof WeightMismatchError;
}

/** A SentencePiece vocabulary of unk/BOS/EOS, the 256 byte pieces and one word piece. */
function sentencePieceTokenizer(): SentencePieceTokenizer {
  const pieces = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), '\u2581a'];
  return new SentencePieceTokenizer({ pieces, scores: pieces.map((_, i) => (i === VOCAB - 1 ? 1 : 0)), specialIds: [0, 1, 2], bosId: 1, eosId: 2, unkId: 0 });
}

/** The files of the tiny models, written once into a temporary folder and kept as bytes. */
interface Seeds {
  readonly config: Uint8Array;
  readonly safetensors: Uint8Array;
  readonly ggufBpe: Uint8Array;
  readonly ggufSpm: Uint8Array;
  readonly ggufF16: Uint8Array;
  readonly tokenizerJson: Uint8Array;
  readonly llama2c: Uint8Array;
  readonly llama2cTokenizer: Uint8Array;
}

let seedCache: Seeds | undefined;
let workDir: string | undefined;

/** A scratch folder for this process, removed when it exits. */
function scratch(): string {
  if (workDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'toolken-fuzz-checkpoints-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    workDir = dir;
  }
  return workDir;
}

function seeds(): Seeds {
  if (seedCache) return seedCache;
  const dir = join(scratch(), 'seeds');
  mkdirSync(dir, { recursive: true });
  const model = DecoderModel.random(CONFIG, 7, 0.02, refBackend);
  const bpe = trainByteLevelBpe(['hello hello world world tokens tokens'], { vocabSize: VOCAB });
  saveModel(model, bpe, dir);
  exportGguf(model, join(dir, 'bpe.gguf'), { tokenizer: bpe });
  exportGguf(model, join(dir, 'spm.gguf'), { tokenizer: sentencePieceTokenizer() });
  exportGguf(model, join(dir, 'f16.gguf'), { tokenizer: bpe, dtype: 'f16' });
  const read = (name: string): Uint8Array => readFileSync(join(dir, name));
  seedCache = {
    config: read('config.json'),
    safetensors: read('model.safetensors'),
    ggufBpe: read('bpe.gguf'),
    ggufSpm: read('spm.gguf'),
    ggufF16: read('f16.gguf'),
    tokenizerJson: read('tokenizer.json'),
    llama2c: llama2cCheckpoint(model),
    llama2cTokenizer: llama2cTokenizer(sentencePieceTokenizer()),
  };
  return seedCache;
}

/** The legacy llama2.c layout (header, then each weight stacked over layers); values only need the right count. */
function llama2cCheckpoint(model: DecoderModel): Uint8Array {
  const { dim, hiddenDim, layers, heads, kvHeads, vocabSize, maxPositions, headDim } = model.config;
  const header = Buffer.from(new Int32Array([dim, hiddenDim, layers, heads, kvHeads, -vocabSize, maxPositions]).buffer);
  const perLayer = 2 * dim + 2 * dim * dim + 2 * kvHeads * headDim * dim + 3 * hiddenDim * dim;
  const floats = 2 * vocabSize * dim + layers * perLayer + dim + maxPositions * headDim;
  const data = new Float32Array(floats).map((_, i) => Math.sin(i) * 0.05);
  return Buffer.concat([header, Buffer.from(data.buffer)]);
}

/** A llama2.c `tok*.bin`: max token length, then per token a float score, a byte length and the bytes. */
function llama2cTokenizer(tokenizer: Tokenizer): Uint8Array {
  const parts: Buffer[] = [Buffer.from(new Int32Array([8]).buffer)];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const text = Buffer.from(tokenizer.idToToken(id)!.replaceAll('\u2581', ' '), 'utf8');
    const entry = Buffer.alloc(8);
    entry.writeFloatLE(id === tokenizer.vocabSize - 1 ? 1 : 0, 0);
    entry.writeInt32LE(text.length, 4);
    parts.push(entry, text);
  }
  return Buffer.concat(parts);
}

/** A folder holding `files`, rewritten for each input (every target has its own). */
function folder(name: string, files: Record<string, Uint8Array>): string {
  const dir = join(scratch(), name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
  return dir;
}

/** The index a sharded save would write, here with every tensor in the one shard. */
function shardIndex(): Uint8Array {
  const weightMap = Object.fromEntries([...decoderWeightShapes(CONFIG).keys()].map((name) => [name, 'model.safetensors']));
  return Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap }));
}

function exercise(tokenizer: Tokenizer): void {
  tokenizer.decode(tokenizer.encode('hello world, tokens!'));
}

function target(name: string, seedsOf: (s: Seeds) => Uint8Array[], run: (input: Uint8Array, s: Seeds) => void): FuzzTarget {
  return { name, seeds: () => seedsOf(seeds()), run: (input) => run(input, seeds()), rejects: isCleanRejection };
}

export const targets: FuzzTarget[] = [
  target('checkpoint: model.safetensors', (s) => [s.safetensors], (input, s) => {
    loadDecoder(folder('safetensors', { 'config.json': s.config, 'model.safetensors': input }), { backend: refBackend });
  }),
  target('checkpoint: config.json', (s) => [s.config], (input, s) => {
    loadDecoder(folder('config', { 'config.json': input, 'model.safetensors': s.safetensors }), { backend: refBackend });
  }),
  target('checkpoint: model.safetensors.index.json', () => [shardIndex()], (input, s) => {
    const dir = folder('index', { 'config.json': s.config, 'model.safetensors': s.safetensors, 'model.safetensors.index.json': input });
    loadDecoder(dir, { backend: refBackend });
  }),
  target('checkpoint: GGUF model + tokenizer', (s) => [s.ggufBpe, s.ggufSpm, s.ggufF16], (input) => {
    const path = join(folder('gguf', { 'model.gguf': input }), 'model.gguf');
    loadDecoder(path, { backend: refBackend });
    exercise(loadTokenizer(path));
  }),
  target('checkpoint: llama2.c model', (s) => [s.llama2c], (input) => {
    loadDecoder(join(folder('llama2c', { 'model.bin': input }), 'model.bin'), { backend: refBackend });
  }),
  target('tokenizer: tokenizer.json', (s) => [s.tokenizerJson], (input) => {
    exercise(loadTokenizer(folder('tokenizer-json', { 'tokenizer.json': input })));
  }),
  target('tokenizer: llama2.c tok*.bin', (s) => [s.llama2cTokenizer], (input) => {
    exercise(loadTokenizer(join(folder('tokenizer-bin', { 'tok.bin': input }), 'tok.bin'), VOCAB));
  }),
];
