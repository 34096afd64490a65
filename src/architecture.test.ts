/**
 * The layers of src/ and the one direction their imports may point. A module may import from its own layer and
 * from layers below it, never from a layer above: that keeps the engine free of methods, and each method a folder
 * that composes the shared parts. `report` (progress bars, charts, HTML) is a floor utility every layer may use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lowest first. */
const LAYERS = [
  'util', 'report', 'tensor', 'formats', 'nn', 'tools', 'tokenizer', 'models', 'indexing', 'generate', 'data',
  'retrieval', 'train', 'eval', 'methods', 'serve', 'demo', 'cli',
] as const;
const FLOOR = new Set(['util', 'report']);

const src = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function layerOf(file: string): string {
  const first = relative(src, file).split(sep)[0]!;
  return first.endsWith('.ts') ? 'index' : first;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

test('every folder of src/ has a place in the layer order', () => {
  const folders = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory());
  for (const folder of folders) assert.ok((LAYERS as readonly string[]).includes(folder), `src/${folder} is not in LAYERS`);
});

test('no import in src/ points to a higher layer', () => {
  const rank = new Map<string, number>(LAYERS.map((l, i) => [l, i]));
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = layerOf(file);
    if (from === 'index') continue; // src/index.ts is the public API: it may gather every layer
    for (const spec of relativeImports(file)) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(src + sep)) continue;
      const to = layerOf(target);
      if (to === from || FLOOR.has(to)) continue;
      if (to === 'index' || rank.get(to)! > rank.get(from)!) violations.push(`${relative(src, file)} imports ${spec} (${from} -> ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('a method never imports another method', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(join(src, 'methods'))) {
    const method = relative(join(src, 'methods'), file).split(sep)[0];
    for (const spec of relativeImports(file)) {
      const rel = relative(join(src, 'methods'), resolve(dirname(file), spec));
      if (rel.startsWith('..')) continue;
      const other = rel.split(sep)[0];
      if (other !== method) violations.push(`${relative(src, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});
