#!/usr/bin/env node
// Builds the native CPU backend (native/ -> build/Release/toolken_native.node) with node-gyp.
// A failed build never fails `npm install`: toolken then runs on the pure-TypeScript `ref` backend and says so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'binding.gyp'))) process.exit(0);
if (process.env.TOOLKEN_SKIP_NATIVE === '1') {
  process.stderr.write('toolken: TOOLKEN_SKIP_NATIVE=1, not building the native backend; the pure-TypeScript backend will be used.\n');
  process.exit(0);
}

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npmCli = process.env.npm_execpath;
  if (npmCli) {
    const candidate = join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(candidate)) return candidate;
  }
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const globalNpm = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(globalNpm) ? globalNpm : undefined;
  }
}

const nodeGyp = findNodeGyp();
const args = ['rebuild', '--release', `--jobs=${process.env.TOOLKEN_BUILD_JOBS ?? 'max'}`];
const headers = join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h');
if (existsSync(headers)) args.push(`--nodedir=${join(dirname(process.execPath), '..')}`);
const result = nodeGyp
  ? spawnSync(process.execPath, [nodeGyp, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  : { status: 1, error: new Error('node-gyp was not found') };
if (result.status !== 0) {
  const why = result.error ? result.error.message : `node-gyp exited with status ${result.status}`;
  process.stderr.write(
    `\n[toolken] WARNING: the native CPU backend could not be built (${why}).\n` +
      '[toolken] toolken still works, on the pure-TypeScript backend, which is much slower.\n' +
      '[toolken] To get the fast backend install a C++ compiler, make and python3, then run `npm run build`.\n\n',
  );
}
process.exit(0);
