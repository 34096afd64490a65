/**
 * Knowledge distillation for ToolGen's retrieval stage: one or more trained ToolGen models (teachers) give, for each
 * training query, a distribution over the catalog's tool tokens; the student learns the gold tool with weight 1 - w
 * and the teachers' (averaged) distribution with weight w. An ensemble of independently trained models ranks better
 * than any of them, and its distribution also says which wrong tools are close, which a one-hot label cannot; the
 * student gets that into one model of the same size.
 *
 * In the loss this is label smoothing whose spread is the teacher's distribution instead of an even one
 * (SftConfig.labelSmoothing = w, smoothingClasses = the student's tool tokens, soft labels on the examples).
 */
import type { ChatExample } from '../../data/types.js';
import { GenerativeRetriever, type GenerativeModel } from '../../retrieval/generative.js';
import { ProgressBar } from '../../report/progress.js';
import type { ClassRange } from '../../tensor/backend.js';
import type { TokenizedExample } from '../../train/batches.js';
import type { ToolGenModel } from './model.js';

/** A distribution over the student's tool tokens (index k: token id range.start + k) for each query text. */
export type ToolDistributions = ReadonlyMap<string, Float32Array>;

/** The atomic tool tokens of a ToolGen model: one contiguous id range (they are added to the vocabulary last). */
export function toolTokenRange(tg: Pick<GenerativeModel, 'index' | 'tokenizer'>): ClassRange {
  if (tg.index.scheme !== 'atomic') throw new Error(`distillation over tool tokens needs the atomic index, not ${tg.index.scheme}`);
  const ids = tg.index.sequences(tg.tokenizer).map((s) => s.tokens[0]!);
  const start = Math.min(...ids);
  const end = Math.max(...ids) + 1;
  if (end - start !== ids.length) throw new Error(`the ${ids.length} tool tokens are not one id range (${start}..${end - 1})`);
  return { start, end };
}

export interface TeacherOptions {
  /** Softens (> 1) or sharpens (< 1) each teacher's distribution before they are averaged. Default 1. */
  readonly temperature?: number;
  readonly showProgress?: boolean;
}

/**
 * The teachers' averaged distribution over the student's tools for each query: each teacher reads the query as its
 * retrieval prompt, and its next-token logits at the tool tokens, divided by the temperature, are normalised over
 * the tools alone (the trie allows nothing else there). Every teacher must index every tool of the student.
 */
export function teacherDistributions(teachers: readonly GenerativeModel[], student: ToolGenModel, queries: readonly string[], o: TeacherOptions = {}): Map<string, Float32Array> {
  const temperature = o.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`distillation temperature must be > 0, got ${temperature}`);
  if (teachers.length === 0) throw new Error('distillation needs at least one teacher');
  const range = toolTokenRange(student);
  const classes = range.end - range.start;
  const studentTools = new Map(student.index.sequences(student.tokenizer).map((s) => [s.tokens[0]! - range.start, s.toolId]));
  const unique = [...new Set(queries)];
  const out = new Map(unique.map((q) => [q, new Float32Array(classes)]));
  const bar = o.showProgress === false ? undefined : new ProgressBar({ total: unique.length * teachers.length, label: 'teachers', unit: 'query' });
  teachers.forEach((teacher, t) => {
    const teacherIds = teacherTokenIds(teacher, studentTools, classes, t);
    const retriever = new GenerativeRetriever(teacher);
    const session = teacher.model.createSession(1, teacher.model.config.maxPositions);
    const logits = new Float64Array(classes);
    for (const query of unique) {
      session.resetSequence(0);
      const next = session.prefill(0, retriever.promptIds(query));
      let max = -Infinity;
      for (let k = 0; k < classes; k++) max = Math.max(max, (logits[k] = next[teacherIds[k]!]! / temperature));
      let total = 0;
      for (let k = 0; k < classes; k++) total += logits[k] = Math.exp(logits[k]! - max);
      const mean = out.get(query)!;
      for (let k = 0; k < classes; k++) mean[k]! += logits[k]! / total / teachers.length;
      bar?.tick();
    }
  });
  bar?.finish();
  return out;
}

/** For each student class k, the teacher's token id of the same tool. */
function teacherTokenIds(teacher: GenerativeModel, studentTools: ReadonlyMap<number, string>, classes: number, position: number): Int32Array {
  if (teacher.index.scheme !== 'atomic') throw new Error(`teacher ${position + 1} uses the ${teacher.index.scheme} index; distillation needs atomic tool tokens`);
  const byTool = new Map(teacher.index.sequences(teacher.tokenizer).map((s) => [s.toolId, s.tokens[0]!]));
  const ids = new Int32Array(classes);
  for (let k = 0; k < classes; k++) {
    const tool = studentTools.get(k)!;
    const id = byTool.get(tool);
    if (id === undefined) throw new Error(`teacher ${position + 1} does not know the tool '${tool}'; teachers must be trained on the student's catalog`);
    ids[k] = id;
  }
  return ids;
}

/**
 * The examples with the teachers' distribution as a soft label on their tool-token label, for examples whose
 * conversation's user turn is a query the distributions cover (memorization examples and unknown queries stay
 * one-hot). `conversations[i]` is the conversation `examples[i]` was tokenized from.
 */
export function withTeacherLabels(examples: readonly TokenizedExample[], conversations: readonly ChatExample[], distributions: ToolDistributions, range: ClassRange): TokenizedExample[] {
  if (examples.length !== conversations.length) throw new Error(`withTeacherLabels: ${examples.length} examples for ${conversations.length} conversations`);
  return examples.map((example, i) => {
    const query = conversations[i]!.messages.find((m) => m.role === 'user')?.content;
    const distribution = query === undefined ? undefined : distributions.get(query);
    if (distribution === undefined) return example;
    const position = Array.from(example.labels).findIndex((label) => label >= range.start && label < range.end);
    return position < 0 ? example : { ...example, softLabels: [{ position, distribution }] };
  });
}
