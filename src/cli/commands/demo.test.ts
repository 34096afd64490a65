import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../tools/catalog.js';
import { loadQueriesFile } from '../../data/loaders/user.js';
import { captureOutput } from '../testing/capture.js';
import { main } from '../main.js';

/** Splits one printed command line into arguments: words, and '...' quoted words (with '\'' for a quote). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (const m of line.matchAll(pattern)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return words;
}

test('the demo prints its results table to stdout with commands to try next, and every one of them works on its output', async () => {
  const out = mkdtempSync(join(tmpdir(), 'toolken-demo-'));
  try {
    const demo = await captureOutput(() => main(['demo', '--quick', '--out', out]));
    assert.equal(demo.value, 0, demo.stderr);
    assert.match(demo.stdout, /multi-domain\s+toolgen/);
    assert.match(demo.stdout, /report: .*report\.html/);
    // The catalog, the training and the held-out queries are saved with the model, in the formats the CLI reads.
    const tools = loadCatalog(join(out, 'model', 'catalog.json')).tools;
    assert.equal(tools.length, 129);
    assert.ok(loadQueriesFile(join(out, 'model', 'test-queries.jsonl'), tools).length > 10);
    assert.ok(loadQueriesFile(join(out, 'model', 'train-queries.jsonl'), tools).length > 100);
    // report.html holds one section per training stage, the commands to reproduce and the limitations.
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const section of ['Stage: memorization', 'Stage: retrieval', 'Stage: agent', 'Reproduce', 'Known limitations']) assert.ok(html.includes(`<h2>${section}</h2>`), section);
    assert.ok(html.includes(`npx toolken demo --out ${out} --seed 0 --quick`));

    const commands = demo.stdout.split('\n').filter((l) => l.trim().startsWith('npx toolken ')).map((l) => shellWords(l.trim()).slice(2));
    assert.ok(commands.length >= 3, demo.stdout);
    for (const argv of commands) {
      const run = await captureOutput(() => main(argv));
      if (argv[0] === 'agent') {
        // The agent exits 1 when it gives up or runs out of steps, a result of the (quick) model, not a failure.
        assert.ok(run.value === 0 || run.value === 1, `toolken ${argv.join(' ')}\n${run.stderr}`);
        assert.match(run.stdout, /\[step 1\] Action: <<\w+>>/);
        continue;
      }
      assert.equal(run.value, 0, `toolken ${argv.join(' ')}\n${run.stderr}`);
      // generate may rightly print nothing (the quick model can end its turn at once); the others print results.
      if (argv[0] !== 'generate') assert.ok(run.stdout.trim().length > 0, `toolken ${argv.join(' ')} printed nothing`);
      if (argv[0] === 'eval') {
        // eval retrieval on the saved queries, with the demo's baselines, prints the demo's multi-domain rows again.
        const scores = (text: string, row: RegExp): string[] => text.split('\n').find((l) => row.test(l))?.replace(row, '').trim().split(/\s+/).slice(0, 5) ?? [];
        for (const retriever of ['toolgen', 'bm25', 'dense']) {
          const shown = scores(demo.stdout, new RegExp(`^multi-domain\\s+${retriever}\\s`));
          assert.equal(shown.length, 5, `${retriever} in the demo's table`);
          assert.deepEqual(scores(run.stdout, new RegExp(`^${retriever}\\s`)), shown, `${retriever}: ndcg@1/3/5, recall@5, mrr`);
        }
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('demo --ablation leaves a training stage out (ToolGen Table 7), and the report says how to reproduce it', async () => {
  const out = mkdtempSync(join(tmpdir(), 'toolken-demo-ablation-'));
  try {
    const demo = await captureOutput(() => main(['demo', '--quick', '--out', out, '--ablation', 'no-retrieval-training']));
    assert.equal(demo.value, 0, demo.stderr);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { training: Record<string, unknown>; run: { commands: string[] } };
    assert.deepEqual(Object.keys(report.training), ['memorization', 'agent']);
    assert.equal(report.run.commands[0], `npx toolken demo --out ${out} --seed 0 --quick --ablation no-retrieval-training`);
    const bad = await captureOutput(() => main(['demo', '--quick', '--out', out, '--ablation', 'no-agent']));
    assert.notEqual(bad.value, 0);
    assert.match(bad.stderr, /--ablation must be one of no-memorization, no-retrieval-training, got 'no-agent'/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
