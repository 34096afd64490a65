import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MathQuestion } from './data.js';
import { diagnoseMath } from './diagnostics.js';
import type { MethodResult, QuestionResult } from './pipeline.js';

const questions: MathQuestion[] = [
  { id: '0', question: 'How many fruits?', answer: 423, calls: [{ tool: '<add>', args: [311, 112], result: '423' }] },
  { id: '1', question: 'How much each?', answer: 0.29, calls: [{ tool: '<divide>', args: [3.77, 13], result: '0.29' }] },
  { id: '2', question: 'How many left?', answer: 777.41, calls: [{ tool: '<subtract>', args: [789.4, 11.99], result: '777.41' }] },
];

function result(answers: Omit<QuestionResult, 'id' | 'label' | 'approx' | 'rejected'>[]): MethodResult {
  const results = answers.map((a, i): QuestionResult => ({ ...a, id: String(i), label: questions[i]!.answer, approx: a.correct, rejected: 0 }));
  return {
    dataset: 'funcqa-oh', method: 'toolkengpt', questions: results.length, em: 0, approx: 0, callsPerQuestion: 0, callPrecision: 0, callRecall: 0,
    wrongCallsPerQuestion: 0, rejectedPerQuestion: 0, seconds: 0, results,
  };
}

test('each stage is measured on its own: format, firing, tool, arguments, operand copying, the answer after a right call', () => {
  const d = diagnoseMath(result([
    // Right tool, operands copied, result right, answer read right.
    { text: ' 311+112=423. So, the answer is 423.', prediction: 423, correct: true, calls: [{ tool: '<add>', args: '(311, 112)', result: '423' }] },
    // Right tool, one operand miscopied; no answer marker.
    { text: ' 3.77/13=0.31 pounds.', prediction: 0.31, correct: false, calls: [{ tool: '<divide>', args: '(3.77, 12)', result: '0.31' }] },
    // Wrong tool first, then a call whose arguments fail, no call returns the answer.
    { text: ' So, the answer is 5.', prediction: 5, correct: false, calls: [{ tool: '<add>', args: '(789.4, 11.99)', result: '801.39' }, { tool: '<subtract>', args: '(x, 2)', error: 'argument "x" is not a number' }] },
  ]), questions);
  assert.equal(d.answerFormat, 2 / 3);
  assert.equal(d.fired, 1);
  assert.equal(d.firstToolAccuracy, 2 / 3);
  assert.equal(d.argumentsExecuted, 3 / 4);
  assert.equal(d.goldToolCalls, 3, 'the third question\'s <add> matches no gold call');
  assert.equal(d.operandCopy, 1 / 3);
  assert.equal(d.correctCallQuestions, 1);
  assert.equal(d.answerAfterCorrectCall, 1);
});

test('a correct call followed by a wrongly extracted answer shows in answerAfterCorrectCall; no calls give zeros, not NaN', () => {
  const d = diagnoseMath(result([
    { text: ' 311+112=423 fruits and 2 more', prediction: 2, correct: false, calls: [{ tool: '<add>', args: '(311, 112)', result: '423' }] },
    { text: ' no idea', prediction: null, correct: false, calls: [] },
    { text: ' no idea', prediction: null, correct: false, calls: [] },
  ]), questions);
  assert.equal(d.correctCallQuestions, 1);
  assert.equal(d.answerAfterCorrectCall, 0);
  assert.equal(d.fired, 1 / 3);
  const none = diagnoseMath(result(questions.map(() => ({ text: '', prediction: null, correct: false, calls: [] }))), questions);
  assert.deepEqual(none, { answerFormat: 0, fired: 0, firstToolAccuracy: 0, argumentsExecuted: 0, goldToolCalls: 0, operandCopy: 0, correctCallQuestions: 0, answerAfterCorrectCall: 0 });
});

test('results and questions must line up', () => {
  assert.throws(() => diagnoseMath(result([]), questions), /0 results for 3 questions/);
});
