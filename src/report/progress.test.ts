import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, formatDuration } from './progress.js';

function fakeStream(): NodeJS.WriteStream & { lines: string[] } {
  const lines: string[] = [];
  return { isTTY: false, lines, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream & { lines: string[] };
}

test('formatDuration renders minutes:seconds and hours when needed', () => {
  assert.equal(formatDuration(0), '00:00');
  assert.equal(formatDuration(75), '01:15');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(Infinity), '--:--');
});

test('the bar shows count, rate, ETA and metrics computed from the clock', () => {
  let t = 0;
  const stream = fakeStream();
  const bar = new ProgressBar({ total: 100, label: 'train', unit: 'step', stream, now: () => t, logEveryMs: 1000 });
  t = 10_000;
  bar.tick(25, { loss: 1.23456 });
  const line = bar.render();
  assert.match(line, /^train \[######------------------\]  25% 25\/100 2\.50 step\/s elapsed 00:10 eta 00:30 \| loss 1\.235$/);
  assert.equal(stream.lines.length, 1);
});

test('off a terminal the bar logs at most once per interval, and always on finish', () => {
  let t = 0;
  const stream = fakeStream();
  const bar = new ProgressBar({ total: 10, label: 'x', stream, now: () => t, logEveryMs: 1000 });
  for (let i = 0; i < 5; i++) {
    t += 100;
    bar.tick();
  }
  assert.equal(stream.lines.length, 1);
  t += 1000;
  bar.tick();
  assert.equal(stream.lines.length, 2);
  bar.finish();
  assert.equal(stream.lines.length, 3);
  assert.match(stream.lines[2]!, / 6\/10 /);
});
