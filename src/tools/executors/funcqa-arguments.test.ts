// The argument parser of ToolkenGPT's tool mode reads model output: it must never run code. Fuzzed with random
// and mutated argument strings, it returns finite numbers or throws FuncqaError, nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../util/random.js';
import { FuncqaError, parseFuncqaArguments } from './funcqa.js';

test('the normalisations of the release: separators, %, $, spaces and arithmetic in arguments', () => {
  assert.deepEqual(parseFuncqaArguments('(2, 39/3)='), [2, 13]);
  assert.deepEqual(parseFuncqaArguments('(1,234, 5)'), [1234, 5]);
  assert.deepEqual(parseFuncqaArguments('($12.50, 50%)'), [12.5, 0.5]);
  assert.deepEqual(parseFuncqaArguments('( 3 , 4 )'), [3, 4]);
  assert.deepEqual(parseFuncqaArguments('((10-3, 2*-4))'), [7, -8]);
});

test('code in arguments is a parse error, never evaluated', () => {
  let touched = false;
  (globalThis as Record<string, unknown>)['__toolkenTouched'] = () => (touched = true);
  for (const text of ['(__toolkenTouched())', '(process.exit(1))', '(1, (() => 2)())', '(Math.PI)', '(1e400)', '(0x10)', '(1/0)']) {
    assert.throws(() => parseFuncqaArguments(text), FuncqaError, text);
  }
  assert.equal(touched, false);
});

test('fuzz: random and mutated argument strings give finite numbers or a FuncqaError', () => {
  const random = seededRandom(13);
  const alphabet = '0123456789.,+-*/%$() =eE^_xabc<>\'"`;[]{}\\\n';
  const seeds = ['(2, 39/3)', '(1,234, 5)', '($12.50, 50%)', '(0.89, 8)', '(-2*3, 4)', '(1e3, 2)'];
  const inputs: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const length = Math.floor(random() * 24);
    inputs.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
  }
  for (let i = 0; i < 3000; i++) {
    const chars = [...seeds[i % seeds.length]!];
    for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
      const at = Math.floor(random() * (chars.length + 1));
      const c = alphabet[Math.floor(random() * alphabet.length)]!;
      const kind = random();
      if (kind < 0.4) chars.splice(at, 0, c);
      else if (kind < 0.7) chars.splice(at, 1);
      else chars[at] = c;
    }
    inputs.push(chars.join(''));
  }
  let parsed = 0;
  for (const text of inputs) {
    try {
      const numbers = parseFuncqaArguments(text);
      for (const n of numbers) assert.ok(typeof n === 'number' && Number.isFinite(n), `${JSON.stringify(text)} gave ${n}`);
      parsed++;
    } catch (err) {
      assert.ok(err instanceof FuncqaError, `${JSON.stringify(text)} threw ${String(err)}`);
      assert.ok(err.message.length > 0);
    }
  }
  // The mutations keep many inputs valid, so both outcomes are exercised.
  assert.ok(parsed > 300 && parsed < inputs.length, `${parsed} of ${inputs.length} parsed`);
});
