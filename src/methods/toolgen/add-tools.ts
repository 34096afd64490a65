/**
 * New tools for a trained ToolGen model without retraining. The index grows (atomic or semantic), and under the
 * atomic scheme each new tool gets a token whose rows start, as ToolGen initialises them, at the mean of its name's
 * sub-token embeddings.
 *
 * A name-mean output row knows nothing of what the tool does, so a request for it rarely beats the trained tools.
 * `rows: 'document-state'` gives the new token an output row read from the model itself instead: memorization
 * trained every known tool's row to score the model's final hidden state after that tool's document, so a ridge
 * regression from those hidden states to the known rows maps a new tool's document — one forward pass — to a row
 * placed where a trained one would be.
 */
import type { Tool } from '../../tools/types.js';
import { toolDocument } from '../../tools/catalog.js';
import { DecoderModel } from '../../models/decoder.js';
import { expandVocabulary } from '../../models/vocabulary.js';
import { chatPromptIds } from '../../tokenizer/chat-template.js';
import type { ToolGenModel } from './model.js';

export type NewToolRows = 'name-mean' | 'document-state';

export interface AddToolsOptions {
  /** How the new tool tokens' output rows are set (atomic scheme); default 'document-state'. */
  readonly rows?: NewToolRows;
  /** Known tools whose documents fit the regression (default: up to 512 of them, spread over the index). */
  readonly known?: readonly Tool[];
  /** Ridge strength relative to the mean squared hidden-state norm; default 0.1. */
  readonly ridge?: number;
}

/** Final-normed hidden state after the memorization prompt of `tool` (its document as the user turn). */
export function documentState(tg: ToolGenModel, tool: Tool): Float32Array {
  const prompt = chatPromptIds(tg.tokenizer, [{ role: 'user', content: toolDocument(tool) }]);
  const limit = tg.model.config.maxPositions;
  const ids = prompt.length > limit ? prompt.slice(prompt.length - limit) : prompt;
  const session = tg.model.createSession(1, ids.length);
  session.prefill(0, ids);
  return Float32Array.from(session.lastHidden());
}

/** Solves A X = B for symmetric positive definite A (n x n) and B (n x m), by Cholesky; X overwrites B. */
function solveSpd(a: Float64Array, b: Float64Array, n: number, m: number): void {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error('add tools: the hidden states of the known tools are degenerate (raise the ridge)');
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j]!;
    }
  }
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let sum = b[i * m + c]!;
      for (let k = 0; k < i; k++) sum -= l[i * n + k]! * b[k * m + c]!;
      b[i * m + c] = sum / l[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = b[i * m + c]!;
      for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * b[k * m + c]!;
      b[i * m + c] = sum / l[i * n + i]!;
    }
  }
}

/**
 * Ridge regression from document states to output rows, fitted on known tools: row ≈ mean row + (h − mean h) W.
 * With fewer tools than dimensions (a 2,048-wide model, 512 tools) it solves the dual problem, so the cost is
 * set by the smaller of the two.
 */
export function fitDocumentToRow(states: readonly Float32Array[], rows: readonly Float32Array[], dim: number, ridge: number): (state: Float32Array) => Float32Array {
  const count = states.length;
  const meanOf = (vectors: readonly Float32Array[]): Float64Array => {
    const mean = new Float64Array(dim);
    for (const v of vectors) for (let i = 0; i < dim; i++) mean[i] += v[i]! / count;
    return mean;
  };
  const meanState = meanOf(states);
  const meanRow = meanOf(rows);
  const h = states.map((v) => Float64Array.from(v, (x, i) => x - meanState[i]!));
  const r = rows.map((v) => Float64Array.from(v, (x, i) => x - meanRow[i]!));
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
  const lambda = (ridge * h.reduce((sum, v) => sum + dot(v, v), 0)) / Math.max(1, count);
  let weights: Float64Array; // (dim, dim): row = mean row + (state - mean state) weights
  if (count < dim) {
    // Dual: weights = Hᵀ (H Hᵀ + λI)⁻¹ R.
    const gram = new Float64Array(count * count);
    for (let a = 0; a < count; a++) for (let b = 0; b < count; b++) gram[a * count + b] = dot(h[a]!, h[b]!) + (a === b ? lambda : 0);
    const coefficients = new Float64Array(count * dim);
    r.forEach((v, a) => coefficients.set(v, a * dim));
    solveSpd(gram, coefficients, count, dim);
    weights = new Float64Array(dim * dim);
    for (let a = 0; a < count; a++) {
      for (let i = 0; i < dim; i++) {
        const hi = h[a]![i]!;
        for (let j = 0; j < dim; j++) weights[i * dim + j] += hi * coefficients[a * dim + j]!;
      }
    }
  } else {
    // Primal: weights = (Hᵀ H + λI)⁻¹ Hᵀ R.
    const gram = new Float64Array(dim * dim);
    weights = new Float64Array(dim * dim);
    for (let a = 0; a < count; a++) {
      for (let i = 0; i < dim; i++) {
        const hi = h[a]![i]!;
        for (let j = 0; j < dim; j++) {
          gram[i * dim + j] += hi * h[a]![j]!;
          weights[i * dim + j] += hi * r[a]![j]!;
        }
      }
    }
    for (let i = 0; i < dim; i++) gram[i * dim + i] += lambda;
    solveSpd(gram, weights, dim, dim);
  }
  return (state) => {
    const out = Float32Array.from(meanRow);
    for (let i = 0; i < dim; i++) {
      const centred = state[i]! - meanState[i]!;
      for (let j = 0; j < dim; j++) out[j] += centred * weights[i * dim + j]!;
    }
    return out;
  };
}

/** Adds `tools` to a ToolGen model; returns the grown model (the tokenizer is changed in place). */
export async function addTools(tg: ToolGenModel, tools: readonly Tool[], o: AddToolsOptions = {}): Promise<ToolGenModel> {
  if (tools.length === 0) throw new Error('add tools: no tools given');
  const index = await tg.index.extend(tools);
  if (index.scheme !== 'atomic') return { ...tg, index };
  const fresh = index.newTokens().slice(tg.index.size);
  const expansion = expandVocabulary(tg.model, tg.tokenizer, fresh.map(({ token, initText }) => ({ token, initText })));
  const newRows = tg.newRows === null ? expansion.newRows : { start: Math.min(tg.newRows.start, expansion.newRows.start), end: Math.max(tg.newRows.end, expansion.newRows.end) };
  if ((o.rows ?? 'document-state') === 'name-mean' || tg.newRows === null) return { model: expansion.model, tokenizer: tg.tokenizer, index, newRows };

  const { dim } = tg.model.config;
  const knownIds = new Set(tg.index.toolIds());
  const known = (o.known ?? []).filter((t) => knownIds.has(t.id));
  if (known.length < 2) throw new Error('add tools: document-state rows need the known tools\' documents (pass the catalog the model was trained on), or use name-mean rows');
  const stride = Math.ceil(known.length / 512);
  const sample = known.filter((_, i) => i % stride === 0);
  // The grown model keeps every known row where it was, so one copy of its weights serves both to read the known
  // rows the regression fits and to write the predicted ones.
  const output = tg.model.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const grown = new Map(expansion.model.tensors().map((t) => [t.name, t.data] as const));
  const table = grown.get(output)!;
  const rowOf = (id: string): Float32Array => {
    const tokenId = tg.tokenizer.tokenToId(tg.index.toolToText(id))!;
    return table.subarray(tokenId * dim, (tokenId + 1) * dim);
  };
  const predict = fitDocumentToRow(sample.map((t) => documentState(tg, t)), sample.map((t) => rowOf(t.id)), dim, o.ridge ?? 0.1);
  tools.forEach((tool, i) => table.set(predict(documentState(tg, tool)), expansion.tokenIds[i]! * dim));
  return { model: new DecoderModel(expansion.model.config, grown, expansion.model.backend), tokenizer: tg.tokenizer, index, newRows };
}
