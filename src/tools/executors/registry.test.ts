import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionExecutor, RoutingExecutor, ToolCallError } from './registry.js';
import type { Tool } from '../types.js';

const greet: Tool = {
  id: 'greet',
  name: 'greet',
  description: 'Greets someone.',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false },
};
const noArgs = (id: string): Tool => ({ id, name: id, description: '', parameters: { type: 'object', properties: {}, required: [] } });

test('a registered function is called with its validated arguments', async () => {
  const executor = new FunctionExecutor().register(greet, (args) => `hello ${String(args.name)}`);
  assert.deepEqual(await executor.call('greet', { name: 'Ada' }), { ok: true, content: 'hello Ada' });
});

test('invalid arguments never reach the function and list every issue', async () => {
  let called = false;
  const executor = new FunctionExecutor().register(greet, () => {
    called = true;
    return '';
  });
  assert.deepEqual(await executor.call('greet', { nam: 'Ada' }), {
    ok: false,
    kind: 'invalid-arguments',
    error: "invalid arguments for greet:\n/name: missing required property 'name'\n/nam: unexpected property 'nam' (allowed: name)",
  });
  assert.deepEqual(await executor.call('greet', ['Ada']), {
    ok: false,
    kind: 'invalid-arguments',
    error: 'invalid arguments for greet: expected an object of named arguments, got an array',
  });
  assert.equal(called, false);
});

test('a thrown error or rejected promise becomes a failed observation', async () => {
  const executor = new FunctionExecutor()
    .register(noArgs('throws'), () => {
      throw new Error('boom');
    })
    .register(noArgs('rejects'), () => Promise.reject(new TypeError('bad state')))
    .register(noArgs('typed'), () => {
      throw new ToolCallError('too-large', 'typed: 3 MB');
    });
  assert.deepEqual(await executor.call('throws', {}), { ok: false, kind: 'failed', error: 'throws failed: boom' });
  assert.deepEqual(await executor.call('rejects', {}), { ok: false, kind: 'failed', error: 'rejects failed: bad state' });
  assert.deepEqual(await executor.call('typed', {}), { ok: false, kind: 'too-large', error: 'typed: 3 MB' });
});

test('a call past the timeout is abandoned and its handler is told to stop', async () => {
  let aborted = false;
  const executor = new FunctionExecutor({ timeoutMs: 30 }).register(noArgs('slow'), (_args, signal) => {
    signal.addEventListener('abort', () => (aborted = true));
    return new Promise<string>(() => {});
  });
  assert.deepEqual(await executor.call('slow', {}), { ok: false, kind: 'timeout', error: 'slow did not answer within 30 ms' });
  assert.equal(aborted, true);
});

test('a response over the size limit is refused', async () => {
  const executor = new FunctionExecutor({ maxResponseChars: 10 }).register(noArgs('big'), () => 'x'.repeat(11));
  assert.deepEqual(await executor.call('big', {}), { ok: false, kind: 'too-large', error: 'big returned 11 characters, more than the limit of 10' });
});

test("a caller's abort signal cancels the call", async () => {
  const executor = new FunctionExecutor().register(noArgs('wait'), () => new Promise<string>(() => {}));
  const controller = new AbortController();
  const pending = executor.call('wait', {}, { signal: controller.signal });
  controller.abort();
  assert.deepEqual(await pending, { ok: false, kind: 'failed', error: 'call to wait was cancelled' });
  assert.deepEqual(await executor.call('wait', {}, { signal: controller.signal }), { ok: false, kind: 'failed', error: 'call to wait was cancelled before it started' });
});

test('a handler may return any JSON value; anything else is a failure, not a crash', async () => {
  const executor = new FunctionExecutor()
    .register(noArgs('number'), async () => 42)
    .register(noArgs('list'), () => [1, { a: null }])
    .register(noArgs('nothing'), () => undefined as unknown as string)
    .register(noArgs('odd'), () => (() => 1) as unknown as string);
  assert.deepEqual(await executor.call('number', {}), { ok: true, content: '42', value: 42 });
  assert.deepEqual(await executor.call('list', {}), { ok: true, content: '[1,{"a":null}]', value: [1, { a: null }] });
  assert.deepEqual(await executor.call('nothing', {}), { ok: false, kind: 'failed', error: 'nothing returned nothing (expected text or a JSON value)' });
  assert.deepEqual(await executor.call('odd', {}), { ok: false, kind: 'failed', error: 'odd returned a value that is not JSON (expected text or a JSON value)' });
});

test('registering an id twice is a programming error', () => {
  const executor = new FunctionExecutor().register(greet, () => '');
  assert.throws(() => executor.register(greet, () => ''), /tool 'greet' is already registered/);
});

test('the routing executor sends each call to the executor that has the tool', async () => {
  const a = new FunctionExecutor().register(noArgs('a'), () => 'from a');
  const b = new FunctionExecutor().register(noArgs('b'), () => 'from b');
  const router = new RoutingExecutor([a, b]);
  assert.deepEqual(await router.call('b', {}), { ok: true, content: 'from b' });
  assert.deepEqual(await router.call('c', {}), { ok: false, kind: 'unknown-tool', error: "unknown tool 'c'" });
});
