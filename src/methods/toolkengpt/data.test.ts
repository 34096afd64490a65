import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import {
  deriveGsm8kXlTraining, FUNCQA_TOOLS, KAMEL_RELATION_COUNTS, loadFuncqaTest, loadFuncqaTraining, loadGsm8kXlTest, loadKamelRelations,
  loadKamelTest, operandsOf, loadFuncqaTextsWithCalls, gsm8kTextsWithCalls, loadKamelTraining, loadVirtualHome, loadVirtualHomeTools, singleOperatorTool, stripWrittenCalls,
} from './data.js';

const root = join(sharedDatasetsDir(), 'toolkengpt-data');
const gsm8kTrain = join(sharedDatasetsDir(), 'gsm8k', 'train.jsonl');
const present = existsSync(root);
const tmp = mkdtempSync(join(tmpdir(), 'toolkengpt-data-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('written calls', () => {
  test('a call is removed and its result, written again after <eoe>, becomes the span', () => {
    const { text, spans } = stripWrittenCalls('so 76+18=<add>(76, 18)=94<eoe>94 cups.', FUNCQA_TOOLS, 'x');
    assert.equal(text, 'so 76+18=94 cups.');
    assert.deepEqual(spans, [{ start: 9, end: 11, tool: '<add>' }]);
    assert.equal(text.slice(9, 11), '94');
  });

  test('an unknown tool name is an error naming the input and the tool', () => {
    assert.throws(() => stripWrittenCalls('x=<plus>(1, 2)=3<eoe>3', FUNCQA_TOOLS, 'file.jsonl:7'), /file\.jsonl:7: unknown tool "<plus>"/);
  });

  test('an unknown tool in a training file names the file and line', () => {
    const dir = join(tmp, 'funcqa');
    mkdirSync(join(dir, 'training_data'), { recursive: true });
    writeFileSync(join(dir, 'training_data', 'add.jsonl'), '{"question": "q", "answer": "1+2=<add>(1, 2)=3<eoe>3"}\n{"question": "q", "answer": "1+2=<addd>(1, 2)=3<eoe>3"}\n');
    assert.throws(() => loadFuncqaTraining(dir, ['<add>']), /add\.jsonl:2: unknown tool "<addd>"/);
  });

  test('a result not written again after <eoe> is an error', () => {
    assert.throws(() => stripWrittenCalls('x=<add>(1, 2)=3<eoe> three', FUNCQA_TOOLS, 'f'), /not written again/);
  });

  test('the operator of an annotation decides its tool; mixed operators have none', () => {
    assert.equal(singleOperatorTool('48/2'), '<divide>');
    assert.equal(singleOperatorTool('16-3-4'), '<subtract>');
    assert.equal(singleOperatorTool('-3*4'), '<multiply>');
    assert.equal(singleOperatorTool('2*3+1'), undefined);
  });
});

describe('the release', { skip: present ? false : '../shared absent' }, () => {
  test('FuncQA: 650 training texts, one-hop 60, multi-hop 68', () => {
    const train = loadFuncqaTraining(join(root, 'funcqa'));
    assert.equal(train.length, 650);
    for (const t of train) for (const s of t.spans) assert.match(t.text.slice(s.start, s.end), /^-?[\d.]+$/);
    assert.ok(train[0]!.text.startsWith('Q: '));
    const oh = loadFuncqaTest(join(root, 'funcqa', 'funcqa_oh.json'));
    const mh = loadFuncqaTest(join(root, 'funcqa', 'funcqa_mh.json'));
    assert.equal(oh.length, 60);
    assert.equal(mh.length, 68);
    assert.deepEqual(oh[0]!.calls, [{ tool: '<power>', args: [0.89, 8], result: '0.3936' }]);
    assert.equal(mh[0]!.calls.length, 2);
    assert.equal(mh[0]!.answer, 32.38);
  });

  test('training texts with their calls written out as tool mode writes them', { skip: existsSync(gsm8kTrain) ? false : 'gsm8k absent' }, () => {
    const funcqa = loadFuncqaTextsWithCalls(join(root, 'funcqa'));
    assert.equal(funcqa.length, 650);
    assert.equal(funcqa[0], 'Q: A recipe calls for 76 cups of flour and 18 cups of sugar. How many cups of ingredients are needed in total?\nA: The recipe calls for 76 cups of flour and 18 cups of sugar. The total amount of ingredients needed is 76+18=<add>(76, 18)=94 cups.');
    for (const t of funcqa) assert.doesNotMatch(t, /<eoe>/);
    const gsm = gsm8kTextsWithCalls(gsm8kTrain);
    assert.equal(gsm.length, 7473);
    assert.match(gsm[0]!, /^Question: Natalia sold clips to 48 of her friends in April[^]*48\/2 = <divide>\(48, 2\)=24 clips in May\./);
    for (const t of gsm) assert.doesNotMatch(t, /<<|>>/);
  });

  test('operandsOf reads the numbers of a single-operator expression, a leading or operand sign kept', () => {
    assert.deepEqual(operandsOf('4096 - 27 - 64'), [4096, 27, 64]);
    assert.deepEqual(operandsOf('-3*2.5'), [-3, 2.5]);
    assert.deepEqual(operandsOf('10/-4'), [10, -4]);
    assert.deepEqual(operandsOf('0.5+.25'), [0.5, 0.25]);
  });

  test('GSM8K-XL test: 568 questions with the enlarged values substituted', () => {
    const test = loadGsm8kXlTest(join(root, 'gsm8k-xl', 'test.json'));
    assert.equal(test.length, 568);
    assert.match(test[0]!.question, /^Janet’s ducks lay 4096 eggs per day/);
    assert.equal(test[0]!.answer, 32040);
    assert.deepEqual(test[0]!.calls, [{ tool: '<subtract>', args: [4096, 27, 64], result: '4005' }, { tool: '<multiply>', args: [4005, 8], result: '32040' }]);
    for (const q of test) assert.doesNotMatch(q.question, /\{v_\d+\}/);
  });

  test('GSM8K-XL training derived from GSM8K train: every span is the number after an annotation', { skip: existsSync(gsm8kTrain) ? false : 'gsm8k absent' }, () => {
    const train = deriveGsm8kXlTraining(gsm8kTrain);
    assert.equal(train.length, 7473);
    assert.ok(train[0]!.text.startsWith('Question: Natalia sold clips'));
    assert.equal(train[0]!.text.includes('<<'), false);
    assert.deepEqual(train[0]!.spans.map((s) => [train[0]!.text.slice(s.start, s.end), s.tool]), [['24', '<divide>'], ['72', '<add>']]);
    const calls = train.reduce((n, t) => n + t.spans.length, 0);
    assert.ok(calls > 15000, `${calls} calls`);
  });

  test('KAMEL: 234 relations with docs, training texts and the test files over 10..234 relations', () => {
    const relations = loadKamelRelations(join(root, 'kamel'));
    assert.equal(relations.tools.length, 234);
    const { texts, skipped } = loadKamelTraining(join(root, 'kamel'), relations.tools);
    assert.equal(texts.length + skipped, 9096);
    assert.ok(skipped < 50);
    for (const n of KAMEL_RELATION_COUNTS) {
      const test = loadKamelTest(join(root, 'kamel', `test_first_${n}.json`), relations.tools.slice(0, n));
      assert.ok(test.length > 0);
      assert.ok(test[0]!.answers.length > 0);
    }
  });

  test('KAMEL: a test question whose relation is outside the head is an error naming it', () => {
    const relations = loadKamelRelations(join(root, 'kamel'));
    assert.throws(() => loadKamelTest(join(root, 'kamel', 'test_first_20.json'), relations.tools.slice(0, 10)), /test_first_20\.json\[\d+\]: unknown tool "P\d+"/);
  });

  test('VirtualHome: plans of action and object toolkens', () => {
    const tools = loadVirtualHomeTools(join(root, 'vh'));
    const tasks = loadVirtualHome(join(root, 'vh'), tools);
    assert.equal(tasks.length, 247);
    const first = tasks[0]!;
    assert.deepEqual(first.plan[0], ['[WALK]', '<home_office>']);
    assert.deepEqual(first.plan.at(-1), ['[END]']);
    assert.ok(first.prompt.endsWith('Plan:\n'));
  });
});
