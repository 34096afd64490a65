/**
 * `import 'toolken'` as a user meets it: the public API's errors carry stable codes, and the package, packed and
 * installed into an empty folder, runs README's library example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as toolken from './index.js';
import { ToolkenError } from './util/errors.js';
import { demoCatalog } from './data/demo/catalog.js';
import { saveToolGenModel } from './methods/toolgen/model.js';
import { tinyToolGen } from './methods/toolgen/testing/tiny-toolgen.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('every error class the public API exports is a ToolkenError with a code of its own', () => {
  const errorClasses = Object.entries(toolken as Record<string, unknown>).filter(
    (entry): entry is [string, new (...args: string[]) => Error] => typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
  );
  assert.ok(errorClasses.length >= 20, `only ${errorClasses.length} error classes exported`);
  const codeOwners = new Map<string, string>();
  for (const [name, ErrorClass] of errorClasses) {
    if (ErrorClass === ToolkenError) continue;
    assert.ok(ErrorClass.prototype instanceof ToolkenError, `${name} does not extend ToolkenError`);
    const error = new ErrorClass('a', 'b', 'c') as ToolkenError;
    assert.equal(error.name, name, `${name}'s instances are named ${error.name}`);
    assert.match(error.code, /^[A-Z][A-Z_]+$/);
    assert.equal(codeOwners.get(error.code), undefined, `${name} reuses ${codeOwners.get(error.code)}'s code ${error.code}`);
    codeOwners.set(error.code, name);
  }
});

/** The TypeScript block of README's "Use as a library" section. */
function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use as a library'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README has no ```ts block under "## Use as a library"');
  return match[1]!;
}

/** A small random-weight ToolGen model directory, as `toolken demo` writes one (weights untrained). */
async function toolGenModelDir(dir: string): Promise<string[]> {
  const tools = demoCatalog().slice(0, 12);
  saveToolGenModel(await tinyToolGen(tools, { maxPositions: 128 }), dir, tools);
  return tools.map((t) => t.id);
}

test('the packed package installs into an empty folder and runs README\'s library example', { timeout: 600_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'toolken-consumer-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const quiet = { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } };

  // `npm pack` runs `prepare`, which builds dist/ from the sources: the tarball is what `npm publish` would upload.
  execFileSync(npm, ['pack', '--pack-destination', work], { ...quiet, maxBuffer: 64 << 20 });
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote no tarball');

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Without scripts the native addon is not compiled: the consumer runs on the pure-TypeScript backend, which is
  // also what a user without a C++ toolchain gets. Dependencies come from npm's cache that `npm install` filled.
  execFileSync(npm, ['install', join(work, tarball), '--ignore-scripts', '--prefer-offline', '--no-package-lock'], { ...quiet, cwd: app });

  writeFileSync(join(app, 'example.ts'), readmeExample());
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false,
        typeRoots: [join(root, 'node_modules', '@types')], types: ['node'], outDir: '.',
      },
      files: ['example.ts'],
    }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', app], { ...quiet, cwd: app });
  } catch (err) {
    assert.fail(`README's example does not type-check against the package:\n${String((err as { stdout?: Buffer }).stdout ?? err)}`);
  }

  const modelDir = join(work, 'model');
  const toolIds = await toolGenModelDir(modelDir);
  const env = { ...process.env, TOOLKEN_TEST: undefined, TOOLKEN_POISON_UNINITIALIZED: undefined };
  const output = execFileSync(process.execPath, ['example.js', modelDir], { cwd: app, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(output, /ok: true[\s\S]*560\.45/);
  assert.match(output, /ok: false[\s\S]*invalid-arguments/);
  const ranked = output.trim().split('\n').slice(-3).map((line) => line.split(' ')[0]!);
  assert.equal(ranked.length, 3);
  for (const id of ranked) assert.ok(toolIds.includes(id), `the example named '${id}', which is not in the model's tool index`);

  // A directory that is not a model ends in the example's ToolkenError branch, with the code.
  const missing = spawnSync(process.execPath, ['example.js', join(work, 'no-such-model')], { cwd: app, encoding: 'utf8', env });
  assert.equal(missing.status, 0, missing.stderr);
  assert.match(missing.stderr, /^[A-Z_]+: .*no-such-model/);
});
