import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDirectory } from '../../train/run-dir.js';
import { DEFAULT_METRICS_LIMITS, lastRecordStep, MetricsFollower } from './metrics-follower.js';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-follow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const line = (record: object): string => JSON.stringify(record) + '\n';

test('a poll reads only what was appended since the last one, and the version says when something changed', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  const follower = new MetricsFollower(file);
  const none = follower.poll();
  assert.equal(none.points.length, 0);
  assert.equal(none.file, undefined, 'no file yet');
  writeFileSync(file, line({ step: 1, split: 'train', loss: 2, lr: 0.1, note: 'text is dropped' }) + line({ step: 2, split: 'train', loss: 1.5 }));
  const first = follower.poll();
  assert.deepEqual(first.points.map((p) => [p.step, p.values.loss]), [[1, 2], [2, 1.5]]);
  assert.deepEqual(Object.keys(first.points[0]!.values), ['loss', 'lr'], 'numeric fields only');
  assert.equal(follower.poll().version, first.version, 'nothing appended, nothing changed');
  appendFileSync(file, line({ step: 3, split: 'validation', loss: 1.2, accuracy: 0.5 }));
  const second = follower.poll();
  assert.ok(second.version > first.version);
  assert.deepEqual(second.points.map((p) => `${p.split}@${p.step}`), ['train@1', 'train@2', 'validation@3']);
});

test('follows a real run directory as the trainer writes it (records without a split are training records)', (t) => {
  const run = RunDirectory.open(join(scratch(t), 'run'), { resume: false });
  const follower = new MetricsFollower(run.file('metrics.jsonl'));
  run.appendMetric({ step: 1, split: 'train', loss: 3, tokens_per_s: 100 });
  run.appendMetric({ step: 2, loss: 2 });
  const { points } = follower.poll();
  assert.deepEqual(points.map((p) => [p.split, p.step]), [['train', 1], ['train', 2]]);
  assert.ok(typeof points[0]!.time === 'number' && points[0]!.time > 0, 'the record time is kept');
});

test('a line cut short waits for its end; a line torn by a crash is never reported as broken until it ends', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  const follower = new MetricsFollower(file);
  writeFileSync(file, line({ step: 1, loss: 1 }) + '{"step": 2, "lo');
  assert.equal(follower.poll().points.length, 1);
  assert.equal(follower.poll().problems.malformed, 0);
  appendFileSync(file, 'ss": 0.5}\n');
  const { points, problems } = follower.poll();
  assert.deepEqual(points.map((p) => p.values.loss), [1, 0.5]);
  assert.equal(problems.malformed, 0);
});

test('bad lines are counted and the first one named; the good ones around them are kept', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  writeFileSync(file, [line({ step: 1, loss: 1 }), 'not json\n', '[1, 2]\n', line({ loss: 3 }), line({ step: 'x' }), '\n', line({ step: 5, loss: 0.5 })].join(''));
  const { points, problems } = new MetricsFollower(file).poll();
  assert.deepEqual(points.map((p) => p.step), [1, 5]);
  assert.equal(problems.malformed, 4);
  assert.equal(problems.firstMalformed?.line, 2);
  assert.match(problems.firstMalformed?.reason ?? '', /not JSON/);
});

test('hostile records: huge lines are skipped unread, fields are capped, __proto__ stays a plain field', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  const limits = { ...DEFAULT_METRICS_LIMITS, maxLineBytes: 200, maxFields: 3 };
  const wide = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`m${i}`, i]));
  writeFileSync(file, `{"step": 1, "pad": "${'x'.repeat(500)}"}\n` + line({ step: 2, ...wide }) + '{"step": 3, "__proto__": 7, "loss": 1}\n');
  const follower = new MetricsFollower(file, limits);
  const { points, problems } = follower.poll();
  assert.equal(problems.tooLong, 1);
  assert.deepEqual(points.map((p) => p.step), [2, 3]);
  assert.deepEqual(Object.keys(points[0]!.values), ['m0', 'm1', 'm2']);
  assert.equal(Object.getPrototypeOf(points[1]!.values), Object.prototype);
  assert.equal(points[1]!.values['__proto__'], 7);
  // An over-long line still being written is skipped too, across polls, up to its newline.
  appendFileSync(file, '{"step": 4, "pad": "' + 'y'.repeat(300));
  follower.poll();
  appendFileSync(file, 'y'.repeat(300) + '"}\n' + line({ step: 5, loss: 0.1 }));
  const after = follower.poll();
  assert.equal(after.problems.tooLong, 2);
  assert.deepEqual(after.points.map((p) => p.step), [2, 3, 5]);
});

test('of a file larger than the tail limit only its end is read, and the page is told how much was skipped', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  const lines = Array.from({ length: 1000 }, (_, i) => line({ step: i + 1, loss: 1 / (i + 1) }));
  writeFileSync(file, lines.join(''));
  const limits = { ...DEFAULT_METRICS_LIMITS, maxTailBytes: 4096 };
  const { points, problems } = new MetricsFollower(file, limits).poll();
  assert.ok(problems.skippedBytes > 0);
  assert.equal(points.at(-1)!.step, 1000, 'the end of the run is there');
  assert.ok(points.length < 1000 && points.length > 50);
  assert.equal(problems.malformed, 0, 'the fragment the tail starts in is dropped, not reported');
  const contiguous = points.every((p, i) => i === 0 || p.step === points[i - 1]!.step + 1);
  assert.ok(contiguous);
});

test('a resumed run rewrites the file shorter: the follower starts over from the new file', (t) => {
  const run = RunDirectory.open(join(scratch(t), 'run'), { resume: false });
  const follower = new MetricsFollower(run.file('metrics.jsonl'));
  for (let step = 1; step <= 6; step++) run.appendMetric({ step, split: 'train', loss: 1 / step });
  assert.equal(follower.poll().points.length, 6);
  run.truncateMetrics(3);
  assert.deepEqual(follower.poll().points.map((p) => p.step), [1, 2, 3]);
  run.appendMetric({ step: 4, split: 'train', loss: 0.2 });
  assert.deepEqual(follower.poll().points.map((p) => p.step), [1, 2, 3, 4]);
});

test('past the point limit training points are thinned evenly; validation points are all kept', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  const records: string[] = [];
  for (let step = 1; step <= 1000; step++) {
    records.push(line({ step, split: 'train', loss: 1 }));
    if (step % 100 === 0) records.push(line({ step, split: 'validation', loss: 1 }));
  }
  writeFileSync(file, records.join(''));
  const { points, problems } = new MetricsFollower(file, { ...DEFAULT_METRICS_LIMITS, maxPoints: 100 }).poll();
  const train = points.filter((p) => p.split === 'train');
  assert.ok(train.length <= 100 && train.length >= 50, `${train.length} training points`);
  assert.equal(points.filter((p) => p.split === 'validation').length, 10);
  assert.equal(problems.thinned, 1000 - train.length);
  assert.equal(train[0]!.step, 1, 'the start of the curve is kept');
  assert.ok(train.at(-1)!.step > 900, 'and its end');
});

test('a folder where metrics.jsonl should be is an error the caller shows', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  mkdirSync(file);
  assert.throws(() => new MetricsFollower(file).poll(), /is not a file/);
});

test('the last record step is read from the end of the file alone, skipping a line still being written', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  const lines = Array.from({ length: 5000 }, (_, i) => line({ step: i + 1, split: 'train', loss: 1, pad: 'x'.repeat(40) }));
  writeFileSync(file, lines.join('') + '{"step": 5001, "lo');
  assert.equal(lastRecordStep(file, statSync(file).size), 5000);
  writeFileSync(file, 'not json\n');
  assert.equal(lastRecordStep(file, statSync(file).size), undefined);
});

test('a large file is read a slice per poll: the curve fills in and the snapshot says how much is left', (t) => {
  const file = join(scratch(t), 'metrics.jsonl');
  writeFileSync(file, Array.from({ length: 300 }, (_, i) => line({ step: i + 1, loss: 1 })).join(''));
  const follower = new MetricsFollower(file, { ...DEFAULT_METRICS_LIMITS, maxReadBytes: 1000 });
  const first = follower.poll();
  assert.ok(first.points.length > 0 && first.points.length < 300);
  assert.ok(first.problems.unreadBytes > 0);
  let polls = 1;
  let last = first;
  while (last.problems.unreadBytes > 0 && polls < 100) {
    last = follower.poll();
    polls++;
  }
  assert.deepEqual(last.points.map((p) => p.step), Array.from({ length: 300 }, (_, i) => i + 1), 'every record once, in order, across slices');
  assert.equal(last.problems.malformed, 0, 'lines cut by a slice boundary are joined');
  assert.ok(polls > 5);
});
