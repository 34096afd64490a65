#!/usr/bin/env node
// `npm test`: type-check the whole project, then run every *.test.ts beside the code it proves with node's test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv.slice(2);

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

// scripts/ holds the tests of the fuzz harness and its targets.
const files = [...collect(join(root, 'src'), []), ...collect(join(root, 'scripts'), [])].filter((f) => filter.length === 0 || filter.some((p) => f.includes(p))).sort();
if (files.length === 0) {
  process.stderr.write(`no test files match ${filter.join(' ')}\n`);
  process.exit(1);
}

if (filter.length === 0) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) {
    process.stderr.write('type-check failed\n');
    process.exit(tsc.status ?? 1);
  }
}

const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TOOLKEN_TEST_CONCURRENCY ?? '2'}`, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TOOLKEN_TEST: '1', TOOLKEN_POISON_UNINITIALIZED: '1' } },
);
process.exit(run.status ?? 1);
