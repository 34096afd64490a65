import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCatalog } from '../../data/demo/catalog.js';
import { generateDemoQueries } from '../../data/demo/queries.js';
import { GenerativeRetriever } from '../../retrieval/generative.js';
import type { Tool } from '../../tools/types.js';
import { teacherDistributions, toolTokenRange, withTeacherLabels } from './distill.js';
import { RunDirectory } from '../../train/run-dir.js';
import { defaultSftConfig } from '../../train/objectives/sft.js';
import { stageConversations, tokenizeConversations, type ToolGenModel } from './model.js';
import { tinyToolGen } from './testing/tiny-toolgen.js';
import { trainToolGenStage } from './stages.js';

const tools = demoCatalog().slice(0, 6);
const queries = generateDemoQueries({ seed: 2, perTool: 4 }).filter((q) => q.relevant.length === 1 && tools.some((t) => t.id === q.relevant[0]));

/** A random-weight scratch model that knows `catalog` (in that order) as atomic tool tokens. */
const toolGenOf = (catalog: readonly Tool[], seed: number): Promise<ToolGenModel> =>
  tinyToolGen(catalog, { documented: tools, texts: queries.map((q) => q.query), vocabSize: 320, maxPositions: 256, seed });

/** softmax over the tools of tg's next-token logits after the retrieval prompt of `query`, by tool id. */
function toolSoftmax(tg: ToolGenModel, query: string, temperature = 1): Map<string, number> {
  const prompt = new GenerativeRetriever(tg).promptIds(query);
  const logits = tg.model.logitsAt(prompt).subarray((prompt.length - 1) * tg.model.config.vocabSize);
  const scores = tg.index.sequences(tg.tokenizer).map((s) => [s.toolId, logits[s.tokens[0]!]! / temperature] as const);
  const max = Math.max(...scores.map(([, v]) => v));
  const total = scores.reduce((sum, [, v]) => sum + Math.exp(v - max), 0);
  return new Map(scores.map(([id, v]) => [id, Math.exp(v - max) / total]));
}

/** A distribution over the student's tools (token order) as a map by tool id. */
function byTool(student: ToolGenModel, distribution: Float32Array): Map<string, number> {
  const { start } = toolTokenRange(student);
  return new Map(student.index.sequences(student.tokenizer).map((s) => [s.toolId, distribution[s.tokens[0]! - start]!]));
}

test('the teachers\' distribution is the mean of each teacher\'s softmax over the tool tokens, matched by tool id', async () => {
  const student = await toolGenOf(tools, 1);
  // The second teacher lists the catalog backwards, so its tool tokens are in another order than the student's.
  const teachers = [await toolGenOf(tools, 2), await toolGenOf([...tools].reverse(), 3)];
  const query = queries[0]!.query;
  const got = teacherDistributions(teachers, student, [query, query], { temperature: 0.5, showProgress: false });
  assert.equal(got.size, 1);
  const mine = byTool(student, got.get(query)!);
  const [a, b] = teachers.map((t) => toolSoftmax(t, query, 0.5));
  for (const tool of tools) assert.ok(Math.abs(mine.get(tool.id)! - (a!.get(tool.id)! + b!.get(tool.id)!) / 2) < 1e-5, tool.id);
  assert.ok(Math.abs([...mine.values()].reduce((x, y) => x + y, 0) - 1) < 1e-5);

  const partial = await toolGenOf(tools.slice(1), 4);
  assert.throws(() => teacherDistributions([partial], student, [query], { showProgress: false }), new RegExp(`teacher 1 does not know the tool '${tools[0]!.id}'`));
  assert.throws(() => teacherDistributions(teachers, student, [query], { temperature: 0, showProgress: false }), /temperature must be > 0, got 0/);
});

test('teacher labels sit on the tool-token label of retrieval examples and nowhere else', async () => {
  const student = await toolGenOf(tools, 1);
  const conversations = [...stageConversations('retrieval', student, tools, queries.slice(0, 2)), ...stageConversations('memorization', student, tools, []).slice(0, 1)];
  const examples = tokenizeConversations(student.tokenizer, conversations);
  const range = toolTokenRange(student);
  const teacher = new Float32Array(range.end - range.start).fill(1 / (range.end - range.start));
  const labelled = withTeacherLabels(examples, conversations, new Map([[queries[0]!.query, teacher]]), range);
  const [soft] = labelled[0]!.softLabels!;
  assert.equal(soft!.distribution, teacher);
  assert.equal(labelled[0]!.labels[soft!.position], student.tokenizer.tokenToId(student.index.toolToText(queries[0]!.relevant[0]!)));
  assert.equal(labelled[1]!.softLabels, undefined);
  assert.equal(labelled[2]!.softLabels, undefined);
});

test('a distilled student ranks second the tool its teacher puts second, which the gold labels alone never say', async () => {
  const student = await toolGenOf(tools, 1);
  const range = toolTokenRange(student);
  const classOf = (id: string): number => student.tokenizer.tokenToId(student.index.toolToText(id))! - range.start;
  // Each tool's runner-up is the next tool of the catalog.
  const runnerUp = (id: string): string => tools[(tools.findIndex((t) => t.id === id) + 1) % tools.length]!.id;
  const distributions = new Map(queries.map((q) => {
    const d = new Float32Array(range.end - range.start);
    d[classOf(q.relevant[0]!)] = 0.6;
    d[classOf(runnerUp(q.relevant[0]!))] = 0.4;
    return [q.query, d] as const;
  }));
  const dir = mkdtempSync(join(tmpdir(), 'toolken-distill-'));
  await trainToolGenStage({
    stage: 'retrieval', tg: student, tools, queries, valFraction: 0, showProgress: false,
    sft: { ...defaultSftConfig, epochs: 200, batchSize: 4, lr: 3e-3, warmup: 0.05, padId: student.tokenizer.eosId ?? 0 },
    distillation: { distributions, weight: 0.8 },
    run: RunDirectory.open(join(dir, 'run'), { resume: false }),
  });
  const retriever = new GenerativeRetriever(student);
  const seconds = queries.filter((q) => retriever.rank(q.query, 2)[1]?.toolId === runnerUp(q.relevant[0]!)).length;
  const firsts = queries.filter((q) => retriever.rank(q.query, 2)[0]?.toolId === q.relevant[0]).length;
  // Trained on the gold labels alone (weight ~0), this student puts the runner-up second on none of the 24.
  assert.ok(firsts >= queries.length * 0.8, `gold first on ${firsts} of ${queries.length} queries`);
  assert.ok(seconds >= queries.length * 0.8, `runner-up second on ${seconds} of ${queries.length} queries`);
  await assert.rejects(
    trainToolGenStage({
      stage: 'retrieval', tg: student, tools, queries, valFraction: 0, showProgress: false, sft: { ...defaultSftConfig, labelSmoothing: 0.1 },
      distillation: { distributions, weight: 0.8 }, run: RunDirectory.open(join(dir, 'run2'), { resume: false }),
    }),
    /distillation replaces label smoothing: give one of them/,
  );
});
