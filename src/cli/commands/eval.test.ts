import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { categoryOfId, resolveCategories } from '../../eval/bfcl/evaluate.js';
import { CliError } from '../args.js';
import { command } from './eval.js';
import { captureOutput } from '../testing/capture.js';
import { saveModel } from '../../models/save.js';
import { scratchModel, trainScratchTokenizer } from '../../train/scratch.js';

const root = mkdtempSync(join(tmpdir(), 'toolken-eval-bfcl-'));
const data = join(root, 'bfcl');
mkdirSync(join(data, 'possible_answer'), { recursive: true });
const doc = { name: 'add', description: 'Adds.', parameters: { type: 'dict', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, required: ['a', 'b'] } };
const lines = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
writeFileSync(
  join(data, 'BFCL_v4_simple_python.json'),
  lines([0, 1].map((i) => ({ id: `simple_python_${i}`, question: [[{ role: 'user', content: 'add' }]], function: [doc] }))),
);
writeFileSync(
  join(data, 'possible_answer', 'BFCL_v4_simple_python.json'),
  lines([0, 1].map((i) => ({ id: `simple_python_${i}`, ground_truth: [{ add: { a: [i], b: [2] } }] }))),
);
writeFileSync(join(data, 'BFCL_v4_irrelevance.json'), lines([{ id: 'irrelevance_0', question: [[{ role: 'user', content: 'hi' }]], function: [doc] }]));
const predictions = join(root, 'predictions.jsonl');
writeFileSync(
  predictions,
  lines([
    { id: 'simple_python_0', result: '[add(a=0, b=2)]' },
    { id: 'simple_python_1', result: '```python\n[add(a=1, b=2)]\n```' },
    { id: 'irrelevance_0', result: 'No tool fits.' },
  ]),
);
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs the command with stdout silenced (the table is covered by formatReport's own test). */
async function runQuiet(argv: string[]): Promise<number> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const stderr = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await command.run(argv);
  } finally {
    process.stdout.write = write;
    process.stderr.write = stderr;
  }
}

describe('toolken eval bfcl', () => {
  test('--model generates the answers, writes the result files and scores them officially', async () => {
    const tokenizer = trainScratchTokenizer(['add two integers a and b', 'No tool fits this request.', '[add(a=1, b=2)]'], 300);
    const modelDir = join(root, 'model');
    saveModel(scratchModel(tokenizer, { vocabSize: 300, dim: 32, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 64, maxPositions: 2048, seed: 3 }), tokenizer, modelDir);
    const outDir = join(root, 'run');
    assert.equal(await runQuiet(['bfcl', '--model', modelDir, '--data', data, '--category', 'simple_python,irrelevance', '--out', outDir, '--max-tokens', '4']), 0);
    const lines = readFileSync(join(outDir, 'result', 'model', 'non_live', 'BFCL_v4_simple_python_result.json'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l).id), ['simple_python_0', 'simple_python_1']);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
    assert.equal(report.reading, 'official');
    assert.equal(report.categories.simple_python.total, 2);
    assert.ok(report.notRun.includes('multi_turn_base'));
  });

  test('--model --repair --best-of N: the scaffolding baselines run and the report says so', async () => {
    const outDir = join(root, 'scaffolded');
    assert.equal(await runQuiet(['bfcl', '--model', join(root, 'model'), '--data', data, '--category', 'simple_python', '--out', outDir, '--max-tokens', '4', '--repair', '--best-of', '2', '--seed', '1']), 0);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
    assert.deepEqual([report.repair, report.bestOf, report.temperature, report.seed], [true, 2, 0.7, 1]);
    assert.match(readFileSync(join(outDir, 'report.md'), 'utf8'), /answers repaired before checking.*best of 2 samples at temperature 0\.7/);
    const is = (pattern: RegExp) => (e: unknown) => e instanceof CliError && pattern.test(e.message);
    await assert.rejects(runQuiet(['bfcl', '--model', join(root, 'model'), '--data', data, '--temperature', '0.5']), is(/--temperature and --seed set best-of-N sampling/));
    await assert.rejects(runQuiet(['bfcl', '--predictions', predictions, '--data', data, '--repair']), is(/use them with --model/));
    await assert.rejects(runQuiet(['bfcl', '--model', join(root, 'model'), '--data', data, '--mode', 'fc', '--constrained', '--best-of', '2']), is(/--constrained decoding is greedy/));
    await assert.rejects(runQuiet(['bfcl', '--model', join(root, 'model'), '--data', data, '--best-of', '0']), is(/--best-of/));
  });

  test('--model without --category runs every category whose question file is in --data', async () => {
    const outDir = join(root, 'every-category');
    assert.equal(await runQuiet(['bfcl', '--model', join(root, 'model'), '--data', data, '--out', outDir, '--max-tokens', '2']), 0);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
    assert.deepEqual(Object.keys(report.categories).sort(), ['irrelevance', 'simple_python']);
    assert.equal(report.categories.simple_python.total, 2);
  });

  test('--model checks --category and the data folder before the model loads', async () => {
    const missingModel = join(root, 'no-such-model');
    const is = (pattern: RegExp) => (e: unknown) => e instanceof CliError && pattern.test(e.message);
    await assert.rejects(runQuiet(['bfcl', '--model', missingModel, '--data', data, '--category', 'simple']), is(/^unknown BFCL category 'simple' \(known: [^;]*\)$/));
    await assert.rejects(runQuiet(['bfcl', '--model', missingModel, '--data', data, '--category', 'multiple']), is(/no question file for multiple in .*; pass --data </));
    await assert.rejects(runQuiet(['bfcl', '--model', missingModel, '--data', join(root, 'nowhere')]), is(/no BFCL question files found in .*nowhere; pass --data </));
  });

  test('--model refuses --lenient and --constrained in prompting mode', async () => {
    await assert.rejects(runQuiet(['bfcl', '--model', join(root, 'model'), '--data', data, '--lenient']), CliError);
    await assert.rejects(runQuiet(['bfcl', '--model', join(root, 'model'), '--data', data, '--constrained']), CliError);
  });

  test('scores the categories the predictions cover and writes every verdict with its reason', async () => {
    const out = join(root, 'score.json');
    assert.equal(await runQuiet(['bfcl', '--predictions', predictions, '--data', data, '--json', out]), 0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(report.reading, 'official');
    assert.equal(report.mode, 'prompting');
    assert.deepEqual(report.categories, {
      simple_python: { accuracy: 0.5, correct: 1, total: 2 },
      irrelevance: { accuracy: 1, correct: 1, total: 1 },
    });
    assert.deepEqual(
      report.verdicts.map((v: { id: string; valid: boolean; rule?: string }) => [v.id, v.valid, v.rule]),
      [
        ['simple_python_0', true, undefined],
        // The leaderboard does not unwrap a ```python fence.
        ['simple_python_1', false, 'ast_decoder:decoder_failed'],
        ['irrelevance_0', true, undefined],
      ],
    );
  });

  test('--lenient unwraps the fence and says so in the report', async () => {
    const out = join(root, 'lenient.json');
    assert.equal(await runQuiet(['bfcl', '--predictions', predictions, '--data', data, '--json', out, '--lenient']), 0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(report.reading, 'lenient');
    assert.deepEqual(report.categories.simple_python, { accuracy: 1, correct: 2, total: 2 });
  });

  test('--mode must be prompting or fc', async () => {
    await assert.rejects(runQuiet(['bfcl', '--predictions', predictions, '--data', data, '--mode', 'chat']), CliError);
  });

  test('--ground-truth-as-predictions scores the possible answers themselves', async () => {
    const out = join(root, 'self.json');
    assert.equal(await runQuiet(['bfcl', '--ground-truth-as-predictions', '--data', data, '--category', 'simple_python', '--json', out]), 0);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).categories, { simple_python: { accuracy: 1, correct: 2, total: 2 } });
  });

  test('the JSON report defaults to <predictions>.bfcl.json', async () => {
    assert.equal(await runQuiet(['bfcl', '--predictions', predictions, '--data', data]), 0);
    assert.equal(JSON.parse(readFileSync(predictions + '.bfcl.json', 'utf8')).verdicts.length, 3);
  });

  test('user errors are CliErrors naming the problem', async () => {
    await assert.rejects(runQuiet(['bfcl', '--data', data]), (e: unknown) => e instanceof CliError && /--predictions/.test(e.message));
    await assert.rejects(runQuiet(['bfcl', '--predictions', predictions, '--data', data, '--category', 'simple']), /unknown BFCL category 'simple' \(known: [^;]*\)$/);
    await assert.rejects(runQuiet(['bfcl', '--predictions', join(root, 'missing.jsonl'), '--data', data]), /: predictions file .*missing\.jsonl does not exist$/);
    await assert.rejects(runQuiet(['bfcl', '--predictions', predictions, '--data', data, '--category', 'multiple']), /no BFCL_v4_multiple\.json/);
    await assert.rejects(runQuiet(['leaderboard']), /unknown benchmark 'leaderboard'/);
  });
});

describe('category names', () => {
  test('entry ids map to categories, v3 names included', () => {
    assert.equal(categoryOfId('live_parallel_multiple_3-2-1'), 'live_parallel_multiple');
    assert.equal(categoryOfId('simple_javascript_10'), 'simple_javascript');
    assert.equal(categoryOfId('java_4'), 'simple_java');
    assert.equal(categoryOfId('simple_7'), 'simple_python');
    assert.equal(categoryOfId('multi_turn_base_0'), undefined);
  });

  test('groups expand in leaderboard order', () => {
    assert.deepEqual(resolveCategories(['irrelevance', 'live']), ['irrelevance', 'live_simple', 'live_multiple', 'live_parallel', 'live_parallel_multiple', 'live_irrelevance', 'live_relevance']);
  });
});

test('eval bfcl finds the BFCL data beside the checkout (../shared) from any working directory, and names --data when it is missing', async (t) => {
  const shared = new URL('../../../../shared/datasets/bfcl/BFCL_v4_simple_python.json', import.meta.url);
  if (!existsSync(shared)) return t.skip('../shared absent');
  const cwd = process.cwd();
  process.chdir(tmpdir());
  try {
    const run = await captureOutput(() => command.run(['bfcl', '--ground-truth-as-predictions', '--category', 'simple_python']));
    assert.equal(run.value, 0);
    assert.match(run.stdout, /simple_python/);
  } finally {
    process.chdir(cwd);
  }
  await assert.rejects(
    captureOutput(() => command.run(['bfcl', '--ground-truth-as-predictions', '--data', join(root, 'nowhere')])),
    (err: unknown) => err instanceof CliError && /no BFCL question files found in .*nowhere; pass --data <the BFCL data folder/.test(err.message),
  );
});
