// The JSON-repair baseline: each documented rule on a malformed answer, valid answers left as they decode, and a
// fuzz run in which no input throws, evaluates anything or grows without bound.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../tensor/random.js';
import { decodeModelOutput, type CallMode } from '../../tools/calls/decode.js';
import { MAX_REPAIR_CHARS, MAX_REPAIR_DEPTH, repairCallText } from './repair.js';

/** Whether the official decoder reads at least one call from the text. */
const decodes = (text: string, mode: CallMode): boolean => {
  const decoded = decodeModelOutput(text, 'python', { reading: 'official', mode });
  return decoded.ok && decoded.calls.length > 0;
};

describe('repair, prompting mode (Python call syntax)', () => {
  const cases: [string, string, string][] = [
    ['a fence', "```python\n[get_weather(city='Paris')]\n```", "[get_weather(city='Paris')]"],
    ['a fence cut at the token limit', "```\n[get_weather(city='Paris')]", "[get_weather(city='Paris')]"],
    ['brackets left open', "[get_weather(city='Paris'", "[get_weather(city='Paris')]"],
    ['a string left open', "[get_weather(city='Par", "[get_weather(city='Par')]"],
    ['a trailing comma', "[get_weather(city='Paris', ), ]", "[get_weather(city='Paris')]"],
    ['a closer that closes nothing', "[get_weather(city='Paris'))]", "[get_weather(city='Paris')]"],
    ['a mismatched closer inside a list', "[f(a=[1, 2)]", '[f(a=[1, 2])]'],
    ['brackets inside strings are text', "[f(q='(a]')", "[f(q='(a]')]"],
  ];
  for (const [what, input, expected] of cases) {
    test(what, () => {
      assert.equal(repairCallText(input, 'prompting'), expected);
      assert.ok(decodes(expected, 'prompting'), expected);
    });
  }
  test('single quotes and True / None stay Python', () => {
    assert.equal(repairCallText("[f(a='x', b=True, c=None)]", 'prompting'), "[f(a='x', b=True, c=None)]");
  });
});

describe('repair, fc mode (JSON tool calls)', () => {
  test('single quotes, Python literals, trailing commas and open brackets in a <tool_call> block', () => {
    const broken = "<tool_call>\n{'name': 'get_weather', 'arguments': {'city': 'Paris', 'note': 'say \"hi\"', 'exact': True, 'unit': None,}\n";
    const repaired = repairCallText(broken, 'fc');
    assert.equal(repaired, '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "note": "say \\"hi\\"", "exact": true, "unit": null}}\n</tool_call>');
    assert.ok(!decodes(broken, 'fc') && decodes(repaired, 'fc'));
  });
  test("an escaped apostrophe, a bare JSON answer, and text that is not JSON left alone", () => {
    assert.equal(repairCallText("{'name': 'f', 'arguments': {'q': 'it\\'s'}", 'fc'), '{"name": "f", "arguments": {"q": "it\'s"}}');
    assert.equal(repairCallText('```json\n[{"name": "f", "arguments": {}},]\n```', 'fc'), '[{"name": "f", "arguments": {}}]');
    assert.equal(repairCallText('I cannot help with that.', 'fc'), 'I cannot help with that.');
    assert.equal(repairCallText('{"Trueish": "None of it"}', 'fc'), '{"Trueish": "None of it"}');
  });
});

test('valid answers decode to the same calls after repair', () => {
  const valid: [string, CallMode][] = [
    ["[get_weather(city='Paris', days=3), get_news(topic='AI')]", 'prompting'],
    ['<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}\n</tool_call>', 'fc'],
  ];
  for (const [text, mode] of valid) {
    const before = decodeModelOutput(text, 'python', { reading: 'official', mode });
    const after = decodeModelOutput(repairCallText(text, mode), 'python', { reading: 'official', mode });
    assert.deepEqual(after, before);
  }
});

test('bounds: an answer over the size limit or nested too deep is returned unchanged', () => {
  const long = '['.repeat(10) + 'x'.repeat(MAX_REPAIR_CHARS);
  assert.equal(repairCallText(long, 'prompting'), long);
  const deep = '['.repeat(MAX_REPAIR_DEPTH + 1);
  assert.equal(repairCallText(deep, 'prompting'), deep);
});

test('fuzz: malformed answers never throw, never run, and grow by at most the closers they need', () => {
  const rng = new Rng(11);
  const pieces = ['[', ']', '(', ')', '{', '}', "'", '"', ',', ' ', '\\', 'f', '=', ':', 'True', 'None', '```', '```python\n', '<tool_call>', '</tool_call>', '\n', "__import__('os').system('touch /tmp/x')", 'process.exit(1)', '${1+1}'];
  // Evaluating any of the pieces would throw or exit; repair only rewrites characters.
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: 1 + rng.int(30) }, () => pieces[rng.int(pieces.length)]!).join('');
    for (const mode of ['prompting', 'fc'] as const) {
      const repaired = repairCallText(text, mode);
      assert.equal(typeof repaired, 'string');
      // Escaping quotes and closing what is open can add characters: at most one per character, plus the closers.
      assert.ok(repaired.length <= 2 * text.length + MAX_REPAIR_DEPTH + 32, `${JSON.stringify(text)} -> ${JSON.stringify(repaired)}`);
      decodeModelOutput(repaired, 'python', { reading: 'official', mode });
    }
  }
});
