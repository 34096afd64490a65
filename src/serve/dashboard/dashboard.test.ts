/**
 * The dashboard over HTTP, as the page (and anyone else on the machine) reaches it: run listing and panels drawn
 * from real run directories, live updates as metrics.jsonl grows, comparison, escaping, bad run files shown as
 * problems, the file route holding to the run folders whatever the path says, and the playground's POST.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDirectory } from '../../train/run-dir.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { ApiKey } from '../auth.js';
import { createDashboardServer } from './dashboard.js';
import type { RunSummary } from './run-catalog.js';
import { tinyPlayground } from './testing-playground.js';

const root = mkdtempSync(join(tmpdir(), 'toolken-dashboard-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Two runs of an experiment folder, a model folder beside them (not a run), and a secret outside the runs. */
const experiments = join(root, 'experiments');
const fast = RunDirectory.open(join(experiments, 'lr-3e-3'), { resume: false });
fast.writeConfig({ stage: 'retrieval', sft: { lr: 3e-3, batchSize: 16 }, note: '<script>alert("x")</script>' });
for (let step = 1; step <= 30; step++) fast.appendMetric({ step, split: 'train', loss: 5 * 0.9 ** step, lr: 3e-3, tokens_per_s: 900, grad_norm: 1 });
fast.appendMetric({ step: 30, split: 'validation', loss: 0.4, accuracy: 0.8 });
writeJsonAtomic(fast.file('report.json'), { retrievers: { toolgen: { 'ndcg@1': 0.8, 'ndcg@5': 0.85 }, bm25: { 'ndcg@1': 0.5, 'ndcg@5': 0.6 } } });
mkdirSync(fast.file('report'));
writeFileSync(fast.file('report', 'index.html'), '<html><script>alert(1)</script>report</html>');
const slow = RunDirectory.open(join(experiments, 'lr-1e-3'), { resume: false });
slow.writeConfig({ stage: 'retrieval', sft: { lr: 1e-3, batchSize: 16 } });
for (let step = 1; step <= 30; step++) slow.appendMetric({ step, split: 'train', loss: 5 * 0.97 ** step, lr: 1e-3, tokens_per_s: 950 });
/** An evaluation's output folder (`eval bfcl --out`): no metrics, a report.json. */
mkdirSync(join(experiments, 'bfcl-eval'));
writeJsonAtomic(join(experiments, 'bfcl-eval', 'report.json'), {
  model: 'tiny',
  categories: { simple_python: { accuracy: 0.75, correct: 3, total: 4 }, multiple: { accuracy: 0.5, correct: 1, total: 2 } },
  aggregates: { non_live_ast: 0.625 },
});
mkdirSync(join(experiments, 'model'));
writeFileSync(join(experiments, 'model', 'config.json'), '{}');
writeFileSync(join(root, 'secret.txt'), 'outside the runs');
symlinkSync(join(root, 'secret.txt'), fast.file('leak.txt'));

/** A run whose files are broken in every way a stranger's folder can be. */
const broken = join(root, 'broken');
mkdirSync(join(broken, 'checkpoints'), { recursive: true });
writeFileSync(join(broken, 'config.json'), '{"not json');
writeFileSync(join(broken, 'metrics.jsonl'), '{"step": 1, "loss": 2}\nnot json at all\n' + `{"step": 2, "pad": "${'z'.repeat(100_000)}"}\n{"step": 3, "loss": 1}\n`);

const dashboard = createDashboardServer({ runs: [experiments, broken, join(root, 'missing')] });
const { port } = await dashboard.listen(0, '127.0.0.1');
after(() => dashboard.close());
const base = `http://127.0.0.1:${port}`;

async function json<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path);
  return { status: res.status, body: (await res.json()) as T };
}

interface Index {
  runs: RunSummary[];
  problems: string[];
  server: boolean;
}
const runId = async (name: string): Promise<number> => (await json<Index>('/dashboard/api/runs')).body.runs.find((r) => r.name === name)!.id;
const panel = async (id: number): Promise<{ html: string; version: string }> => (await json<{ html: string; version: string }>(`/dashboard/api/runs/${id}`)).body;

/** A raw request, for what fetch will not send (a Host header, an unnormalised path). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the page is served from the package, with a policy that runs only its own script', async () => {
  const page = await fetch(base + '/');
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/);
  const html = await page.text();
  assert.match(html, /<script src="\/dashboard\/app\.js"><\/script>/);
  assert.doesNotMatch(html, /https?:\/\//, 'nothing fetched from elsewhere');
  const script = await fetch(base + '/dashboard/app.js');
  assert.match(script.headers.get('content-type') ?? '', /javascript/);
  assert.match(await script.text(), /\/dashboard\/api\/runs/);
});

test('the runs of the folders are found (a model folder is no run), and folders without runs are named', async () => {
  const { body } = await json<Index>('/dashboard/api/runs');
  assert.deepEqual(body.runs.map((r) => r.name).sort(), ['broken', 'experiments/bfcl-eval', 'experiments/lr-1e-3', 'experiments/lr-3e-3']);
  assert.equal(body.server, false);
  assert.ok(body.runs.filter((r) => r.name !== 'experiments/bfcl-eval').every((r) => r.live && r.lastStep !== undefined), 'just written: shown as training');
  assert.deepEqual(body.problems, [`${join(root, 'missing')} does not exist`]);
});

test('a run panel draws the loss chart, the other curves, validation, results and the configuration, all escaped', async () => {
  const { html } = await panel(await runId('experiments/lr-3e-3'));
  assert.match(html, /<svg [^>]*>.*experiments\/lr-3e-3: loss.*train loss \(EMA 0\.9\).*validation loss/s);
  for (const title of ['train lr', 'train tokens_per_s', 'train grad_norm', 'validation accuracy']) assert.ok(html.includes(`>${title}</text>`), title);
  assert.match(html, /data-last-step>30</);
  assert.match(html, /<h2>Retrieval \(report\.json\)<\/h2>.*<td>toolgen<\/td><td class="num">0\.8000<\/td>/s);
  assert.match(html, /<td>sft\.lr<\/td><td class="num">0\.0030<\/td>/);
  assert.ok(html.includes('&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;'), 'the config text is escaped');
  assert.doesNotMatch(html, /<script/);
  assert.match(html, /href="\/dashboard\/files\/\d+\/report\/index\.html"/);
});

test('an evaluation folder shows its BFCL accuracy per category as a table and a chart', async () => {
  const { html } = await panel(await runId('experiments/bfcl-eval'));
  assert.match(html, /<h2>BFCL \(report\.json\)<\/h2>.*<td>simple_python<\/td><td class="num">0\.7500<\/td><td class="num">3<\/td><td class="num">4<\/td>/s);
  assert.match(html, /<td>non_live_ast<\/td><td class="num">0\.6250<\/td>/);
  assert.match(html, /BFCL accuracy \(report\.json\)/);
  assert.doesNotMatch(html, /No metrics yet/, 'an evaluation has no training curves to wait for');
  assert.doesNotMatch(html, /no checkpoint yet|last step/, 'nor training status');
});

test('a metric appended to metrics.jsonl changes the run version and appears in its panel', async () => {
  const id = await runId('experiments/lr-1e-3');
  const before = await panel(id);
  assert.match(before.html, /data-last-step>30</);
  assert.equal((await panel(id)).version, before.version, 'nothing new, same version');
  slow.appendMetric({ step: 31, split: 'train', loss: 1.9, lr: 1e-3, tokens_per_s: 950 });
  slow.appendMetric({ step: 31, split: 'validation', loss: 2.5 });
  const listed = (await json<Index>('/dashboard/api/runs')).body.runs.find((r) => r.id === id)!;
  assert.notEqual(listed.version, before.version);
  assert.equal(listed.lastStep, 31);
  const now = await panel(id);
  assert.match(now.html, /data-last-step>31</);
  assert.match(now.html, /<h2>Validation \(latest\)<\/h2>.*<td class="num">31<\/td><td class="num">2\.5000<\/td>/s);
});

test('a run started after the dashboard appears in the listing', async () => {
  const late = RunDirectory.open(join(experiments, 'late'), { resume: false });
  late.appendMetric({ step: 1, split: 'train', loss: 4 });
  const { body } = await json<Index>('/dashboard/api/runs');
  assert.ok(body.runs.some((r) => r.name === 'experiments/late'));
});

test('broken run files become problem lines in the panel, not errors', async () => {
  const { html } = await panel(await runId('broken'));
  assert.match(html, /<ul class="problems">/);
  assert.match(html, /1 line\(s\) are not metric records and were skipped \(first: line 2, not JSON/);
  assert.match(html, /1 line\(s\) are too long to be metric records/);
  assert.match(html, /config\.json is not valid JSON/);
  assert.match(html, /data-last-step>3</);
});

test('comparing runs draws them on shared axes and lists where their configurations differ', async () => {
  const [a, b] = [await runId('experiments/lr-3e-3'), await runId('experiments/lr-1e-3')];
  const { status, body } = await json<{ html: string }>(`/dashboard/api/compare?runs=${a},${b}`);
  assert.equal(status, 200);
  assert.match(body.html, /Comparing 2 runs/);
  assert.match(body.html, /training loss \(EMA 0\.9\).*throughput/s);
  assert.match(body.html, /<td>sft\.lr<\/td><td class="num">0\.0030<\/td><td class="num">0\.0010<\/td>/);
  assert.doesNotMatch(body.html, /<td>sft\.batchSize<\/td>/, 'equal values are not differences');
  assert.equal((await json(`/dashboard/api/compare?runs=${a}`)).status, 400);
  assert.equal((await json(`/dashboard/api/compare?runs=${a},999`)).status, 404);
});

test('a run file is served sandboxed; no path, encoding or link reaches a file outside the run', async () => {
  const id = await runId('experiments/lr-3e-3');
  const report = await raw(`/dashboard/files/${id}/report/index.html`);
  assert.equal(report.status, 200);
  assert.match(String(report.headers['content-security-policy']), /sandbox/);
  assert.match(String(report.headers['content-type']), /text\/html/);
  assert.equal((await raw(`/dashboard/files/${id}/config.json`)).status, 200);
  for (const path of [
    `/dashboard/files/${id}/../../secret.txt`,
    `/dashboard/files/${id}/%2e%2e/%2e%2e/secret.txt`,
    `/dashboard/files/${id}/..%2f..%2fsecret.txt`,
    `/dashboard/files/${id}/report%2f..%2f..%2f..%2fsecret.txt`,
    `/dashboard/files/${id}/%2ftmp`,
    `/dashboard/files/${id}/leak.txt`,
    `/dashboard/files/${id}/report`,
    `/dashboard/files/${id}/nothing-here`,
    `/dashboard/files/${id}/a%00b`,
    `/dashboard/files/999/config.json`,
    `/dashboard/files/-1/config.json`,
  ]) {
    const res = await raw(path);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(res.body, /outside the runs/, path);
  }
  assert.equal((await raw(`/dashboard/files/${id}/%E0%A4%A`)).status, 400, 'malformed percent-encoding');
});

test('requests for another host name (DNS rebinding) and writes are refused; unknown pages are 404', async () => {
  const rebound = await raw('/dashboard/api/runs', { host: 'attacker.example:80' });
  assert.equal(rebound.status, 403);
  assert.match(rebound.body, /host_not_allowed/);
  assert.equal((await raw('/dashboard/api/runs', { host: `localhost:${port}` })).status, 200);
  assert.equal((await raw('/dashboard/api/runs', {}, 'POST')).status, 405);
  assert.equal((await json('/dashboard/api/nothing')).status, 404);
  assert.equal((await json('/v1/models')).status, 404, 'the dashboard alone serves no API');
  assert.equal((await json('/dashboard/api/runs/abc')).status, 404);
  assert.equal((await json('/dashboard/api/server')).status, 404, 'no server numbers without a server');
});

test('a metrics.jsonl growing by thousands of lines between polls is read incrementally and bounded', async () => {
  const big = RunDirectory.open(join(experiments, 'big'), { resume: false });
  const lines: string[] = [];
  for (let step = 1; step <= 20_000; step++) lines.push(JSON.stringify({ step, split: 'train', loss: 1 / step, lr: 1e-3 }));
  appendFileSync(big.file('metrics.jsonl'), lines.join('\n') + '\n');
  const { html } = await panel(await runId('experiments/big'));
  assert.match(html, /data-last-step>20000</);
  const points = html.match(/<path d="[^"]*"/)![0].split(' L').length;
  assert.ok(points <= 2000, `a curve is sampled to at most 2000 points, got ${points}`);
});

test('the playground answers JSON from the page with the top-k tools and the agent steps; anything else is refused', async (t) => {
  const server = createDashboardServer({ runs: [experiments], playground: await tinyPlayground() });
  const at = `http://127.0.0.1:${(await server.listen(0, '127.0.0.1')).port}`;
  t.after(() => server.close());
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> =>
    fetch(`${at}/dashboard/api/playground`, { method: 'POST', headers, body });
  assert.equal(((await (await fetch(`${at}/dashboard/api/runs`)).json()) as { playground: boolean }).playground, true);
  const ok = await post(JSON.stringify({ request: 'Add 2 and <3>', k: 4 }));
  assert.equal(ok.status, 200);
  const { html, answer } = (await ok.json()) as { html: string; answer: { tools: unknown[] } };
  assert.equal(answer.tools.length, 4);
  assert.match(html, /<h2>Top 4 tools of the constrained search<\/h2>.*<th>probability<\/th>.*<svg /s);
  assert.match(html, /<h2>The agent on the request<\/h2>.*<th>arguments \(schema-constrained\)<\/th>/s);
  assert.match(html, /Request: Add 2 and &lt;3&gt;/);
  const refusals: [Promise<Response>, number, RegExp][] = [
    [post('request=add', { 'content-type': 'application/x-www-form-urlencoded' }), 415, /send JSON/],
    [post(JSON.stringify({ request: 'add' }), { 'content-type': 'application/json', origin: 'http://attacker.example' }), 403, /origin_not_allowed/],
    [post('{oops'), 400, /malformed JSON/],
    [post(JSON.stringify({ request: 7 })), 400, /request: must be a string/],
    [post(JSON.stringify({ request: 'add', k: 50 })), 400, /k: must be an integer in \[1, 20\]/],
    [post(JSON.stringify({ request: 'x'.repeat(20_000) })), 413, /over the limit/],
    [fetch(`${at}/dashboard/api/playground`), 405, /POST/],
  ];
  for (const [pending, status, message] of refusals) {
    const res = await pending;
    assert.equal(res.status, status, String(message));
    assert.match(await res.text(), message);
  }
  assert.equal((await fetch(`${base}/dashboard/api/playground`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 404, 'no model, no playground');
});

test('behind an API key the page opens once as /?key=KEY, which sets a cookie; without it the page and its API are 401', async (t) => {
  const server = createDashboardServer({ runs: [experiments], apiKey: new ApiKey('s3cret') });
  const at = (await server.listen(0, '127.0.0.1')).port;
  t.after(() => server.close());
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`http://127.0.0.1:${at}${path}`, { headers, redirect: 'manual' });
  const locked = await get('/');
  assert.equal(locked.status, 401);
  assert.match(await locked.text(), /open \/\?key=<that key>/);
  const api = await get('/dashboard/api/runs');
  assert.equal(api.status, 401);
  assert.match(await api.text(), /invalid_api_key/);
  assert.equal((await get('/?key=wrong')).status, 401);
  assert.equal((await get('/dashboard/api/runs', { cookie: 'toolken_dashboard=s3cret' })).status, 401, 'the cookie holds a hash of the key, not the key');

  const opened = await get('/?key=s3cret');
  assert.equal(opened.status, 303);
  assert.equal(opened.headers.get('location'), '/', 'the key leaves the address bar');
  const cookie = opened.headers.get('set-cookie')!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.ok(!cookie.includes('s3cret'));
  const session = { cookie: cookie.split(';')[0]! };
  assert.equal((await get('/', session)).status, 200);
  assert.equal((await get('/dashboard/api/runs', session)).status, 200);
  assert.equal((await get('/dashboard/api/runs', { authorization: 'Bearer s3cret' })).status, 200, 'API clients may send the bearer token');
  assert.equal((await get('/dashboard/api/runs', { authorization: 'Bearer s3cre' })).status, 401);
});
