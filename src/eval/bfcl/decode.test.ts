import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeModelOutput } from '../../tools/calls/decode.js';
import { parseJson } from '../../tools/calls/json.js';
import type { BfclLanguage } from './dataset.js';
import { PyValue, pyRepr } from '../../tools/calls/values.js';

/** `format: name(k=repr, ...); ...` or `error: message`. */
function decoded(result: PyValue, language: BfclLanguage = 'python'): string {
  const d = decodeModelOutput(result, language);
  if (!d.ok) return `error: ${d.error}`;
  return `${d.format}: ${d.calls.map((c) => `${c.name}(${[...c.args].map(([k, v]) => `${k}=${pyRepr(v)}`).join(', ')})`).join('; ')}`;
}

describe('decodeModelOutput', () => {
  test('Markdown fences of any language tag are removed before decoding', () => {
    assert.equal(decoded('```python\n[f(a=1)]\n```'), 'python: f(a=1)');
    assert.equal(decoded('```\nf(a=1)\n```'), 'python: f(a=1)');
    assert.equal(decoded('```json\n{"name": "f", "arguments": {"a": 1}}\n```'), 'json: f(a=1)');
  });

  test("the leaderboard's <TOOLCALL> tag is removed", () => {
    assert.equal(decoded('<TOOLCALL>[f(a="x")]</TOOLCALL>'), "python: f(a='x')");
  });

  test('each <tool_call> block is one JSON call, an unclosed last block included', () => {
    assert.equal(decoded('<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>\n<tool_call>{"name": "g", "arguments": {}}'), 'json: f(a=1); g()');
  });

  test('structured calls: OpenAI tool_calls, name/arguments lists, and {function: {args}} objects', () => {
    assert.equal(decoded(parseJson('{"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{\\"a\\": 1.5}"}}]}')), 'tool_calls: f(a=1.5)');
    assert.equal(decoded(parseJson('[{"name": "f", "parameters": {"a": [1]}}, {"name": "g", "arguments": ""}]')), 'tool_calls: f(a=[1]); g()');
    assert.equal(decoded(parseJson('[{"f": {"a": true}}, {"g": "{\\"b\\": null}"}]')), 'tool_calls: f(a=True); g(b=None)');
  });

  test('text in Java or JavaScript categories is read in that syntax', () => {
    assert.equal(decoded('Api.call(n=5L, s="x")', 'java'), "java: Api.call(n='5L', s='x')");
    assert.equal(decoded('api.call(list=[1, 2])', 'javascript'), "javascript: api.call(list='[1, 2]')");
  });

  test('unreadable output is an error value naming the problem', () => {
    assert.equal(decoded('[{"name": "f", "arguments": 3}]'), 'error: call 0 (f): arguments must be an object, got 3');
    assert.equal(decoded(parseJson('42')), 'error: expected model text or tool calls, got 42');
    assert.match(decoded('{"name": "f", "arguments": {"a": 1}'), /^error: expected '}'/);
    assert.match(decoded('Let me think.'), /^error: invalid syntax/);
  });
});

describe('decodeModelOutput is bounded in time', () => {
  const elapsed = (run: () => unknown): number => {
    const start = performance.now();
    run();
    return performance.now() - start;
  };

  test('thousands of nested code fences and tags are peeled in linear time', () => {
    const fences = '```python\n'.repeat(5000) + 'f(a=1)' + '\n```'.repeat(5000);
    assert.ok(elapsed(() => assert.equal(decoded(fences), 'python: f(a=1)')) < 100);
    const tags = '<TOOLCALL>'.repeat(2000) + 'f(a=1)';
    assert.ok(elapsed(() => assert.match(decoded(tags), /^error:/)) < 100);
    assert.equal(decoded('```\n<TOOLCALL>```json\n{"name": "f", "arguments": {}}\n```</TOOLCALL>\n```'), 'json: f()');
  });

  test('deeply nested JSON is an error, not a stack overflow', () => {
    assert.match(decoded('[' + '{"a": ['.repeat(100_000)), /^error: arrays and objects nested more than 500 deep/);
    assert.match(decoded('['.repeat(100_000)), /^error: invalid syntax: values nested more than 100 deep/);
    assert.match(decoded('{"name": "f", "arguments": ' + '['.repeat(100_000)), /nested more than 500 deep/);
  });
});
