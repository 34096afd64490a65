/**
 * How well a model copies argument values from the question into the call: the diagnostic to read before
 * spending long runs, since the BFCL checker gives 0 for an answer with one wrong digit and so cannot tell a model
 * that copies nothing from one that almost copies. Under teacher forcing (the gold text so far given), each value
 * of the gold calls that the question states (resample.ts statedArguments; its first place in the answer after
 * the previous value's) is "copied" when the model's most likely
 * next token is the gold token at every token of the value in the answer; tokens are counted alone too.
 * Probes are built from an example in the pretraining-text form (what a base was trained on) or as rendered for
 * SFT (the chat template, the answer being the labelled call turn).
 */
import { IGNORE_INDEX, type DecoderModel } from '../../models/decoder.js';
import { noGrad } from '../../tensor/autograd.js';
import { tidy } from '../../tensor/scope.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { FcExample } from './data.js';
import { pretrainingDocument } from './experiments.js';
import { statedArguments } from './resample.js';
import { tokenizeFcExample, type FcRenderOptions } from './train-render.js';

/** A text's tokens, where its answer begins, and the values the answer should copy from the question. */
export interface CopyProbe {
  readonly ids: readonly number[];
  /** Index of the answer's first token (> 0). */
  readonly answerFrom: number;
  /** The values as the answer writes them (a JSON string's content; a number's digits). */
  readonly values: readonly string[];
}

export interface CopyScore {
  readonly values: number;
  readonly valuesCopied: number;
  readonly tokens: number;
  readonly tokensCopied: number;
}

/** The stated values as a JSON call writes them: a string's escaped content (no quotes), a number's digits. */
const probeValues = (example: FcExample): string[] => statedArguments(example).map((a) => (a.isString ? JSON.stringify(a.written).slice(1, -1) : a.written));

/** The example as pretraining text (experiments.ts pretrainingDocument); the answer is its calls, after the question. */
export function pretrainingCopyProbe(tokenizer: Tokenizer, example: FcExample, maxLength: number): CopyProbe | undefined {
  const doc = pretrainingDocument(example);
  const answerChar = doc.lastIndexOf('\n\n') + 2;
  const ids = tokenizer.encode(doc).slice(0, maxLength);
  const prefix = tokenizer.encode(doc.slice(0, answerChar)).length;
  const values = probeValues(example);
  return values.length === 0 || prefix >= ids.length ? undefined : { ids, answerFrom: Math.max(1, prefix), values };
}

/** The example as SFT renders it; the answer is its labelled call turn. */
export function chatCopyProbe(tokenizer: Tokenizer, example: FcExample, render: FcRenderOptions): CopyProbe | undefined {
  const t = tokenizeFcExample(tokenizer, example, render);
  const answerFrom = Array.from(t.labels).findIndex((l) => l !== IGNORE_INDEX);
  const values = probeValues(example);
  return values.length === 0 || answerFrom < 1 ? undefined : { ids: Array.from(t.inputIds), answerFrom, values };
}

/** Teacher-forced copying of the probes' values (the rules above), summed over the probes. */
export function copyAccuracy(model: DecoderModel, tokenizer: Tokenizer, probes: readonly CopyProbe[]): CopyScore {
  let values = 0;
  let valuesCopied = 0;
  let tokens = 0;
  let tokensCopied = 0;
  const wasTraining = model.training;
  model.train(false);
  try {
    for (const probe of probes) {
      const { ids, answerFrom } = probe;
      const logits = noGrad(() => tidy(() => model.logits(Int32Array.from(ids), 1, ids.length).toArray()));
      const vocab = logits.length / ids.length;
      const predictedRight = (i: number): boolean => {
        let best = 0;
        for (let v = 1; v < vocab; v++) if (logits[(i - 1) * vocab + v]! > logits[(i - 1) * vocab + best]!) best = v;
        return best === ids[i];
      };
      // Where each answer token starts in the answer's text (byte-level tokens of ASCII text decode one by one).
      const starts: number[] = [];
      let answer = '';
      for (let i = answerFrom; i < ids.length; i++) {
        starts.push(answer.length);
        answer += tokenizer.decode([ids[i]!]);
      }
      let searchFrom = 0;
      for (const value of probe.values) {
        const at = answer.indexOf(value, searchFrom);
        if (at < 0) continue;
        searchFrom = at + value.length;
        const covering = starts.map((s, k) => ({ s, e: starts[k + 1] ?? answer.length, i: answerFrom + k })).filter((t) => t.e > at && t.s < at + value.length);
        const right = covering.filter((t) => predictedRight(t.i)).length;
        values++;
        tokens += covering.length;
        tokensCopied += right;
        if (right === covering.length) valuesCopied++;
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return { values, valuesCopied, tokens, tokensCopied };
}
