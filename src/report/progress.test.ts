import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, formatDuration } from './progress.js';

function fakeStream(terminal?: { columns: number }): NodeJS.WriteStream & { lines: string[] } {
  const lines: string[] = [];
  return { isTTY: terminal !== undefined, columns: terminal?.columns, lines, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream & {
    lines: string[];
  };
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

test('on an 80-column terminal every redraw fits in 79 columns, dropping the least useful parts first', () => {
  let t = 0;
  const stream = fakeStream({ columns: 80 });
  const bar = new ProgressBar({ total: 12_000, label: 'retrieval stage', unit: 'step', stream, now: () => t });
  for (let i = 0; i < 50; i++) {
    t += 200;
    bar.tick(240, { loss: 0.123456, lr: 0.0003, 'grad-norm': 1.5, tokens: 123456 });
  }
  bar.finish();
  const redraws = stream.lines.filter((l) => l.startsWith('\r\x1b[2K')).map((l) => l.slice('\r\x1b[2K'.length));
  assert.ok(redraws.length > 10);
  for (const line of redraws) assert.ok(line.length <= 79, `${line.length} columns: ${line}`);
  const last = redraws.at(-1)!;
  // Label, count, ETA and the first metric survive; extra metrics and the elapsed time go first.
  assert.match(last, /^retrieval stage .*100% 12000\/12000 .*eta 00:00 \| loss 0\.1235/);
  assert.doesNotMatch(last, /grad-norm|elapsed/);
  assert.equal(stream.lines.at(-1), '\n');
});

test('render keeps the whole line when it fits and cuts to the width when even the essentials do not', () => {
  const bar = new ProgressBar({ total: 10, label: 'memorization', stream: fakeStream(), now: () => 0 });
  bar.tick(5, { loss: 2 });
  assert.equal(bar.render(), bar.render(1000));
  assert.equal(bar.render(20), 'memorization 5/10');
  assert.equal(bar.render(8), 'memoriza');
});

test('piped, the final line is printed once, by finish(), even when the last tick reaches the total', () => {
  let t = 0;
  const stream = fakeStream();
  const bar = new ProgressBar({ total: 3, label: 'x', stream, now: () => t, logEveryMs: 1000 });
  for (let i = 0; i < 3; i++) {
    t += 2000;
    bar.tick();
  }
  bar.finish({ loss: 0.5 });
  bar.finish();
  const finals = stream.lines.filter((l) => / 3\/3 /.test(l));
  assert.equal(finals.length, 1);
  assert.match(finals[0]!, /\| loss 0\.5000\n$/);
  assert.equal(stream.lines.length, 3);
});
