/** The dashboard at `/` of toolken serve: the same page and runs, plus the server's own numbers, beside an API that is unchanged. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDirectory } from '../../train/run-dir.js';
import { createToolkenServer } from '../server.js';
import { tinyServedModel } from '../testing-model.js';
import type { ServerStatsSnapshot } from '../stats.js';

const root = mkdtempSync(join(tmpdir(), 'toolken-mounted-'));
after(() => rmSync(root, { recursive: true, force: true }));
const run = RunDirectory.open(join(root, 'sft'), { resume: false });
run.appendMetric({ step: 1, split: 'train', loss: 2 });

const server = createToolkenServer(tinyServedModel('tiny'), { apiKey: 'secret', slots: 2, runs: [root] });
const { port } = await server.listen(0, '127.0.0.1');
after(() => server.close());
const base = `http://127.0.0.1:${port}`;

test('toolken serve shows the dashboard at / with its runs and its load, both behind its key', async () => {
  assert.equal((await fetch(base + '/')).status, 401, 'the key guards the dashboard too');
  const key = { authorization: 'Bearer secret' };
  assert.equal((await fetch(base + '/', { headers: key })).status, 200);
  const index = (await (await fetch(base + '/dashboard/api/runs', { headers: key })).json()) as { runs: { name: string }[]; server: boolean };
  assert.equal(index.server, true);
  assert.deepEqual(index.runs.map((r) => r.name), [`${root.split('/').at(-1)}/sft`]);
  assert.equal((await fetch(base + '/v1/models')).status, 401);
  const completion = await fetch(base + '/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: 'Bearer secret', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
  });
  assert.equal(completion.status, 200);
  const used = ((await completion.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens;
  await fetch(base + '/v1/chat/completions', { method: 'POST', headers: { authorization: 'Bearer secret' }, body: '{oops' });
  const { stats, html } = (await (await fetch(base + '/dashboard/api/server', { headers: key })).json()) as { stats: ServerStatsSnapshot; html: string };
  assert.equal(stats.model, 'tiny');
  assert.equal(stats.slots, 2);
  assert.equal(stats.completions, 1);
  assert.equal(stats.errors, 2, 'the request without the key and the malformed body');
  assert.equal(stats.completionTokens, used);
  assert.match(html, /<td>tiny<\/td>/);
});
