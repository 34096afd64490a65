import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { seededRandom } from '../../util/random.js';
import { funcqaTrainingText, loadFuncqaRecords, type FuncqaRecord } from './data.js';
import { resampleFuncqaRecord } from './resample.js';

const record: FuncqaRecord = {
  tool: '<add>', where: 'add.jsonl:1',
  question: 'A recipe calls for 76 cups of flour and 18.5 cups of sugar. How many cups are needed?',
  answer: 'It needs 76+18.5=<add>(76, 18.5)=94.5<eoe>94.5 cups. So, the answer is 94.5.',
};

test('the question\'s numbers are replaced by numbers of the same shape and the call is run again', () => {
  const r = resampleFuncqaRecord(record, seededRandom(3))!;
  const [a, b] = r.question.match(/\d+(?:\.\d+)?/g)!.map(Number) as [number, number];
  assert.match(String(a), /^[1-9]\d$/);
  assert.match(String(b), /^[1-9]\d\.[1-9]$/);
  assert.notEqual(a, 76);
  const sum = Math.round((a + b) * 100) / 100;
  assert.equal(r.answer, `It needs ${a}+${b}=<add>(${a}, ${b})=${sum}<eoe>${sum} cups. So, the answer is ${sum}.`);
  // The resampled record still reads as a training text whose span is the new result.
  const t = funcqaTrainingText(r);
  assert.equal(t.text.slice(t.spans[0]!.start, t.spans[0]!.end), String(sum));
});

test('an answer whose call uses a number the question does not state is left alone', () => {
  const derived = { ...record, question: 'A car loses 11% a year. What is left after 8 years?', answer: 'It keeps <power>(0.89, 8)=0.3936<eoe>0.3936.' };
  assert.equal(resampleFuncqaRecord(derived, seededRandom(1)), undefined);
});

test('every resampled FuncQA training record is a valid training text', { skip: existsSync(join(sharedDatasetsDir(), 'toolkengpt-data')) ? false : '../shared absent' }, () => {
  const random = seededRandom(0);
  const records = loadFuncqaRecords(join(sharedDatasetsDir(), 'toolkengpt-data', 'funcqa'));
  const resampled = records.map((r) => resampleFuncqaRecord(r, random)).filter((r) => r !== undefined);
  assert.ok(resampled.length > records.length / 2, `${resampled.length} of ${records.length} resampled`);
  for (const r of resampled) {
    const t = funcqaTrainingText(r);
    assert.ok(t.spans.length > 0);
  }
});
