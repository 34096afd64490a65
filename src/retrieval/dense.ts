/**
 * The dense "ToolRetriever" baseline: a dual encoder (one shared encoder for queries and tool documents) trained
 * contrastively on the training queries with in-batch negatives, on toolken's own engine.
 *
 * Encoder: hashed word unigrams, word bigrams and character trigrams -> an embedding table -> mean pooling -> a
 * linear projection -> RMS normalisation (vectors of norm sqrt(dim)). Score: cosine similarity / temperature.
 * It is the learned counterpart of BM25 with the same inputs the generative retriever sees, and it is trained from
 * scratch like the generative model is here (no pretrained text encoder exists on this machine).
 */
import type { Tool } from '../tools/types.js';
import { AdamW } from '../nn/optim/adamw.js';
import { cosineSchedule } from '../nn/optim/schedule.js';
import { Parameter } from '../nn/parameter.js';
import { valueAndGrad, noGrad } from '../tensor/autograd.js';
import { crossEntropy } from '../tensor/ops/crossEntropy.js';
import { embedding } from '../tensor/ops/embedding.js';
import { scale } from '../tensor/ops/elementwise.js';
import { matmul } from '../tensor/ops/matmul.js';
import { rmsnorm } from '../tensor/ops/rmsnorm.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import { ids, ones, randn, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { ProgressBar } from '../report/progress.js';
import type { RetrievalQuery } from '../data/types.js';
import { toolSearchText } from './bm25.js';
import type { Retriever } from './types.js';
import { tokenize } from './tokenize.js';
import { hashString } from '../util/random.js';

export interface DenseRetrieverOptions {
  readonly dim: number;
  /** Hash buckets of the feature table. */
  readonly buckets: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly temperature: number;
  readonly seed: number;
  readonly showProgress?: boolean;
}

export const defaultDenseOptions: DenseRetrieverOptions = {
  dim: 128, buckets: 1 << 15, epochs: 8, batchSize: 64, lr: 3e-3, temperature: 0.05, seed: 0,
};

const hashFeature = (s: string, buckets: number): number => hashString(s) % buckets;

/** The hashed features of a text: words, adjacent word pairs and character trigrams of each word. */
export function textFeatures(text: string, buckets: number): number[] {
  const words = tokenize(text, { stopwords: false });
  const out: number[] = [];
  words.forEach((w, i) => {
    out.push(hashFeature('w:' + w, buckets));
    if (i + 1 < words.length) out.push(hashFeature('b:' + w + ' ' + words[i + 1], buckets));
    const padded = `#${w}#`;
    for (let j = 0; j + 3 <= padded.length; j++) out.push(hashFeature('c:' + padded.slice(j, j + 3), buckets));
  });
  if (out.length === 0) out.push(hashFeature('<empty>', buckets));
  return out;
}

export class DenseRetriever implements Retriever {
  readonly name = 'dense';
  private readonly table: Parameter;
  private readonly projection: Parameter;
  private readonly normWeight: Tensor;
  private toolIds: string[] = [];
  private toolVectors: Float32Array = new Float32Array(0);

  constructor(private readonly options: DenseRetrieverOptions = defaultDenseOptions) {
    const rng = new Rng(options.seed);
    this.table = Parameter.from(randn([options.buckets, options.dim], rng, 0.1));
    this.projection = Parameter.from(randn([options.dim, options.dim], rng, 1 / Math.sqrt(options.dim)));
    this.normWeight = ones([options.dim]);
  }

  /** Encodes texts into (n, dim) vectors of norm sqrt(dim). */
  private encode(texts: readonly string[]): Tensor {
    const featureLists = texts.map((t) => textFeatures(t, this.options.buckets));
    const flat = featureLists.flat();
    const pool = new Float32Array(texts.length * flat.length);
    let offset = 0;
    featureLists.forEach((f, row) => {
      for (let j = 0; j < f.length; j++) pool[row * flat.length + offset + j] = 1 / f.length;
      offset += f.length;
    });
    const features = embedding(this.table, ids(flat)); // (features, dim)
    const pooled = matmul(tensor(pool, [texts.length, flat.length]), features); // (texts, dim)
    return rmsnorm(matmul(pooled, this.projection, { transB: true }), this.normWeight);
  }

  /** Trains on (query, relevant tool) pairs with in-batch negatives; a batch never holds the same tool twice. */
  fit(tools: readonly Tool[], train: readonly RetrievalQuery[]): { finalLoss: number; steps: number } {
    const docs = new Map(tools.map((t) => [t.id, toolSearchText(t)]));
    const pairs = train.flatMap((q) => q.relevant.filter((id) => docs.has(id)).map((id) => ({ query: q.query, tool: id })));
    if (pairs.length === 0) throw new Error('dense retriever: no training pair has a relevant tool in the catalog');
    const rng = new Rng(this.options.seed + 1);
    const stepsPerEpoch = Math.ceil(pairs.length / this.options.batchSize);
    const totalSteps = stepsPerEpoch * this.options.epochs;
    const optimizer = new AdamW([['table', this.table], ['projection', this.projection]], {
      lr: cosineSchedule({ peak: this.options.lr, totalSteps, warmup: 0.05 }),
    });
    const bar = this.options.showProgress === false ? undefined : new ProgressBar({ total: totalSteps, label: 'dense retriever', unit: 'step' });
    const invTemp = 1 / (this.options.temperature * this.options.dim);
    let finalLoss = NaN;
    let steps = 0;
    for (let epoch = 0; epoch < this.options.epochs; epoch++) {
      const order = pairs.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let b = 0; b < order.length; b += this.options.batchSize) {
        const seen = new Set<string>();
        const batch = order.slice(b, b + this.options.batchSize).map((i) => pairs[i]!).filter((p) => !seen.has(p.tool) && seen.add(p.tool));
        if (batch.length < 2) continue;
        finalLoss = valueAndGrad(() => {
          const q = this.encode(batch.map((p) => p.query));
          const d = this.encode(batch.map((p) => docs.get(p.tool)!));
          const logits = scale(matmul(q, d, { transB: true }), invTemp);
          return crossEntropy(logits, Int32Array.from(batch.map((_, i) => i)));
        });
        optimizer.step();
        optimizer.zeroGrad();
        steps++;
        bar?.tick(1, { loss: finalLoss });
      }
    }
    bar?.finish();
    optimizer.dispose();
    this.index(tools);
    return { finalLoss, steps };
  }

  /** Encodes the catalog once for retrieval. */
  index(tools: readonly Tool[]): void {
    this.toolIds = tools.map((t) => t.id);
    const dim = this.options.dim;
    this.toolVectors = new Float32Array(tools.length * dim);
    noGrad(() => {
      for (let start = 0; start < tools.length; start += 256) {
        const chunk = tools.slice(start, start + 256);
        tidy(() => this.toolVectors.set(this.encode(chunk.map(toolSearchText)).toArray(), start * dim));
      }
    });
  }

  retrieve(query: RetrievalQuery, k: number, candidates?: ReadonlySet<string>): string[] {
    const dim = this.options.dim;
    const q = noGrad(() => tidy(() => this.encode([query.query]).toArray()));
    const scored: { id: string; score: number }[] = [];
    this.toolIds.forEach((id, i) => {
      if (candidates && !candidates.has(id)) return;
      let s = 0;
      for (let j = 0; j < dim; j++) s += q[j]! * this.toolVectors[i * dim + j]!;
      scored.push({ id, score: s });
    });
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return scored.slice(0, k).map((s) => s.id);
  }
}
