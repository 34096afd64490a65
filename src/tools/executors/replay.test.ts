import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createReplayExecutor, loadRecordings, RecordingExecutor, saveRecordings } from './replay.js';
import { canonicalJson } from '../validate.js';
import { FunctionExecutor } from './registry.js';
import type { Tool } from '../types.js';
import { withTempDir } from '../../util/testing/temp-dir.js';

const weather: Tool = {
  id: 'weather',
  name: 'weather',
  description: 'Current weather.',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
};

test('canonical JSON sorts object keys at every depth', () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
});

test('recorded calls are answered regardless of argument key order', async () => {
  const executor = createReplayExecutor(
    [weather],
    [{ tool: 'weather', args: { unit: 'C', city: 'Oslo' }, observation: { ok: true, content: '-3 C', value: { t: -3 } } }],
  );
  assert.deepEqual(await executor.call('weather', { city: 'Oslo', unit: 'C' }), { ok: true, content: '-3 C', value: { t: -3 } });
});

test('a recorded failure is replayed verbatim and an unrecorded call is a failure that says so', async () => {
  const executor = createReplayExecutor([weather], [{ tool: 'weather', args: { city: 'Atlantis' }, observation: { ok: false, kind: 'failed', error: 'weather: HTTP 404 Not Found' } }]);
  assert.deepEqual(await executor.call('weather', { city: 'Atlantis' }), { ok: false, kind: 'failed', error: 'weather: HTTP 404 Not Found' });
  assert.deepEqual(await executor.call('weather', { city: 'Oslo' }), { ok: false, kind: 'failed', error: 'weather: no recorded response for arguments {"city":"Oslo"}' });
});

test('replayed calls are validated like live ones', async () => {
  const executor = createReplayExecutor([weather], []);
  assert.equal((await executor.call('weather', { town: 'Oslo' })).ok, false);
  assert.deepEqual(await executor.call('radar', {}), { ok: false, kind: 'unknown-tool', error: "unknown tool 'radar'" });
});

test('calls recorded from a live executor replay identically after a save and load', async () => {
  await withTempDir('replay', async (dir) => {
    const live = new FunctionExecutor().register(weather, (args) => ({ content: `sunny in ${String(args.city)}`, value: { sunny: true } }));
    const recorder = new RecordingExecutor(live);
    const first = await recorder.call('weather', { city: 'Rome' });
    const path = join(dir, 'calls.jsonl');
    saveRecordings(path, recorder.recordings);
    const replay = createReplayExecutor([weather], loadRecordings(path));
    assert.deepEqual(await replay.call('weather', { city: 'Rome' }), first);
  });
});

test('a malformed recordings file is rejected with file and line', () => {
  withTempDir('replay', (dir) => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"tool":"weather","args":{},"observation":{"ok":true,"content":"x"}}\n{"tool":"weather","args":{},"observation":{"ok":"yes"}}\n');
    assert.throws(() => loadRecordings(path), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 2: "observation" must be`));
    assert.throws(() => loadRecordings(join(dir, 'none.jsonl')), /^InputFileError: recordings file .*none\.jsonl does not exist$/);
  });
});
