import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableBackends, getBackend, setBackend, withBackend } from './index.js';
import { refBackend } from './ref.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs a snippet in a fresh process (the backend choice is made once per process). */
function inFreshProcess(env: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  const script = "import('./src/tensor/backends/index.ts').then((m) => console.log(m.getBackend().name)).catch((e) => { console.error(e.message); process.exit(3); })";
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { stdout: child.stdout.trim(), stderr: child.stderr.trim(), status: child.status };
}

test('TOOLKEN_BACKEND=ref selects the reference backend without any warning', () => {
  const r = inFreshProcess({ TOOLKEN_BACKEND: 'ref' });
  assert.equal(r.stdout, 'ref');
  assert.equal(r.stderr, '');
});

test('an unknown TOOLKEN_BACKEND is an error naming the allowed values', () => {
  const r = inFreshProcess({ TOOLKEN_BACKEND: 'gpu' });
  assert.equal(r.status, 3);
  assert.equal(r.stderr, "TOOLKEN_BACKEND must be 'ref' or 'cpu', got 'gpu'");
});

test('the default is cpu when the native backend loads, else ref after one warning', () => {
  const r = inFreshProcess({ TOOLKEN_BACKEND: '' });
  const cpuLoads = availableBackends().some((b) => b.name === 'cpu');
  assert.equal(r.stdout, cpuLoads ? 'cpu' : 'ref');
  if (!cpuLoads) assert.match(r.stderr, /^toolken: native CPU backend unavailable \(.+\); using the pure-TypeScript ref backend \(slow\)\. Run `npm run build`/);
});

test('setBackend switches by name or instance, and withBackend restores the previous choice', () => {
  const previous = getBackend();
  withBackend('ref', () => assert.equal(getBackend(), refBackend));
  assert.equal(getBackend(), previous);
  setBackend(refBackend);
  assert.equal(getBackend().name, 'ref');
  setBackend(previous);
  assert.ok(availableBackends().includes(refBackend));
});
