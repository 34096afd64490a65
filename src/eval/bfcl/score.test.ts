import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { BfclEntry } from './dataset.js';
import { PredictionsError, aggregateScores, formatReport, judgeEntry, loadPredictions, scoreEntries } from './score.js';

const score = (correct: number, total: number) => ({ accuracy: correct / total, correct, total });

describe('aggregates', () => {
  test('non-live simple is the unweighted mean of its three languages; summaries are unweighted means', () => {
    const agg = aggregateScores({
      simple_python: score(400, 400),
      simple_java: score(50, 100),
      simple_javascript: score(0, 50),
      multiple: score(100, 200),
      parallel: score(200, 200),
      parallel_multiple: score(0, 200),
      irrelevance: score(240, 240),
    });
    assert.equal(agg.non_live_simple, 0.5);
    assert.equal(agg.non_live_ast_summary, (0.5 + 0.5 + 1 + 0) / 4);
    assert.equal(agg.non_live_overall, (0.5 + 0.5 + 1 + 0 + 1) / 5);
    assert.equal(agg.live_overall, undefined);
  });

  test('live summaries weight each category by its number of entries', () => {
    const agg = aggregateScores({
      live_simple: score(100, 100),
      live_multiple: score(0, 300),
      live_parallel: score(10, 10),
      live_parallel_multiple: score(0, 10),
      live_irrelevance: score(80, 80),
      live_relevance: score(0, 20),
      irrelevance: score(0, 10),
    });
    assert.equal(agg.live_ast_summary, 110 / 420);
    assert.equal(agg.live_overall, 190 / 520);
    assert.equal(agg.irrelevance_overall, 0.5);
    assert.equal(agg.relevance_overall, 0);
    assert.equal(agg.non_live_simple, undefined);
  });
});

const entry: BfclEntry = {
  id: 'simple_python_7',
  category: 'simple_python',
  functions: [{ name: 'f', description: '', parameters: { type: 'dict', properties: { a: { type: 'integer' } }, required: ['a'] } }],
  groundTruth: [{ name: 'f', params: new Map([['a', [1n]]]) }],
};

describe('verdicts and reports', () => {
  test('an entry without a prediction is wrong with the reason', () => {
    assert.deepEqual(judgeEntry(entry, undefined), { id: 'simple_python_7', category: 'simple_python', valid: false, reason: 'no prediction for this id', rule: 'missing_prediction' });
  });

  test('a failed check names the rule, the parameter, and expected vs got', () => {
    assert.deepEqual(judgeEntry(entry, '[f(a=2)]'), {
      id: 'simple_python_7',
      category: 'simple_python',
      valid: false,
      reason: "value_error:others: Invalid value for parameter 'a': 2. Expected one of [1].",
      rule: 'value_error:others',
      param: 'a',
      expected: '[1]',
      got: '2',
    });
  });

  test('a decode error is a verdict, not an exception', () => {
    const v = judgeEntry(entry, '[f(a=');
    assert.equal(v.valid, false);
    assert.equal(v.rule, 'ast_decoder:decoder_failed');
  });

  test('scoreEntries counts per category and the table shows accuracy, correct and total', () => {
    const report = scoreEntries([entry, { ...entry, id: 'simple_python_8' }], new Map([['simple_python_7', '[f(a=1)]']]));
    assert.deepEqual(report.categories, { simple_python: { accuracy: 0.5, correct: 1, total: 2 } });
    assert.match(formatReport(report), /simple_python\s+50\.00%\s+1\s+2/);
  });
});

describe('loadPredictions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfcl-predictions-'));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('reads id and result per line, keeping tool-call arguments as Python values', () => {
    const path = write('ok.jsonl', '{"id": "simple_python_0", "result": "[f(a=1)]"}\n\n{"id": "multiple_0", "result": [{"name": "g", "arguments": {"x": 2.0}}]}\n');
    const predictions = loadPredictions(path);
    assert.deepEqual([...predictions.keys()], ['simple_python_0', 'multiple_0']);
    assert.equal(predictions.get('simple_python_0'), '[f(a=1)]');
  });

  test('a malformed line, a line without result and a repeated id are errors naming file and line', () => {
    assert.throws(() => loadPredictions(write('bad.jsonl', '{"id": "a", "result": "x"}\n{oops}\n')), (e: unknown) => e instanceof PredictionsError && /bad\.jsonl:2: not JSON/.test(e.message));
    assert.throws(() => loadPredictions(write('nores.jsonl', '{"id": "a"}\n')), /nores\.jsonl:1: expected \{"id"/);
    assert.throws(() => loadPredictions(write('dup.jsonl', '{"id": "a", "result": ""}\n{"id": "a", "result": ""}\n')), /dup\.jsonl:2: id a appears twice/);
    assert.throws(() => loadPredictions(join(dir, 'missing.jsonl')), (e: unknown) => e instanceof PredictionsError && /^predictions file .*missing\.jsonl does not exist$/.test(e.message));
    assert.throws(() => loadPredictions(dir), /: predictions file .* is a folder; pass the files inside it$/);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));
});
