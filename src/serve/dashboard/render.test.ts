import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsProblemLines, serverPanel } from './render.js';

test('every problem of a metrics file is one sentence that names the file', () => {
  const lines = metricsProblemLines('run/metrics.jsonl', {
    malformed: 2,
    firstMalformed: { line: 7, reason: 'not JSON (Unexpected token)' },
    tooLong: 1,
    skippedBytes: 4096,
    thinned: 10,
    unreadable: 'EACCES',
    unreadBytes: 100,
  });
  assert.equal(lines.length, 6);
  assert.ok(lines.every((l) => l.startsWith('run/metrics.jsonl')));
  assert.match(lines.join('\n'), /first 4096 bytes are not shown.*2 line\(s\) are not metric records.*first: line 7.*1 line\(s\) are too long.*100 bytes still to read.*10 training records are left out/s);
  assert.deepEqual(metricsProblemLines('m', { malformed: 0, tooLong: 0, skippedBytes: 0, thinned: 0, unreadBytes: 0 }), []);
});

test('the server panel charts its load once it has two samples, and escapes the model name', () => {
  const base = { model: '<tiny>', contextLength: 512, slots: 4, active: 1, queued: 0, started: 0, completions: 3, errors: 1, completionTokens: 40 };
  const one = serverPanel({ ...base, history: [{ time: 1000, active: 1, queued: 0, tokensPerSecond: 5, completionsPerSecond: 1 }] });
  assert.match(one, /<td>&lt;tiny&gt;<\/td>/);
  assert.doesNotMatch(one, /<svg/);
  const two = serverPanel({ ...base, history: [{ time: 1000, active: 1, queued: 0, tokensPerSecond: 5, completionsPerSecond: 1 }, { time: 2000, active: 2, queued: 1, tokensPerSecond: 9, completionsPerSecond: 2 }] });
  assert.equal(two.match(/<svg /g)?.length, 2);
  assert.match(two, />completion tokens\/s</);
  assert.match(two, />busy slots<.*>queued</s);
});
