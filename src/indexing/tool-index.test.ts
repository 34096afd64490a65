import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tool } from '../tools/types.js';
import { INDEX_SCHEMES, ToolIndex, hierarchicalPaths, kmeans, semanticNames, type Embedder } from './index.js';
import { syntheticCatalog } from './test-utils/synthetic-catalog.js';
import { ToyVocabulary } from './test-utils/toy-vocabulary.js';
import { withTempDir } from '../util/testing/temp-dir.js';

const tool = (id: string, name: string, description = ''): Tool => ({
  id,
  name,
  description,
  parameters: { type: 'object', properties: {}, required: [] },
});

const weather = tool('weather&&get_forecast', 'get_forecast', 'daily weather forecast');
const stocks = tool('stocks&&get_quote', 'get_quote', 'stock market quote');
const forecastTwin = tool('almanac&&get_forecast', 'get_forecast', 'almanac forecast');
const small = [weather, stocks, forecastTwin];

test('atomic scheme: each tool is the one token <<tool_name&&api_name>>, and newTokens carries the name for init', async () => {
  const index = await ToolIndex.build(small, 'atomic');
  assert.equal(index.toolToText('weather&&get_forecast'), '<<weather&&get_forecast>>');
  assert.equal(index.textToTool('<<stocks&&get_quote>>'), 'stocks&&get_quote');
  assert.deepEqual(index.newTokens(), [
    { toolId: 'weather&&get_forecast', token: '<<weather&&get_forecast>>', initText: 'get_forecast' },
    { toolId: 'stocks&&get_quote', token: '<<stocks&&get_quote>>', initText: 'get_quote' },
    { toolId: 'almanac&&get_forecast', token: '<<almanac&&get_forecast>>', initText: 'get_forecast' },
  ]);
});

test('atomic sequences need the tool tokens in the vocabulary and are then one id each', async () => {
  const index = await ToolIndex.build(small, 'atomic');
  assert.throws(
    () => index.sequences(new ToyVocabulary([])),
    /atomic tool token '<<weather&&get_forecast>>' encodes to 25 tokens in this vocabulary; add index.newTokens\(\) to the tokenizer first/,
  );
  const vocab = new ToyVocabulary([], ['<eos>', ...index.newTokens().map((t) => t.token)]);
  assert.deepEqual(
    index.sequences(vocab).map((s) => s.tokens),
    [[257], [258], [259]],
  );
});

test('semantic names stay unique: the smallest id keeps a shared name, the others get _2, _3 whatever the order', async () => {
  const names = semanticNames([forecastTwin, weather, stocks, tool('z&&get_forecast', 'get_forecast')]);
  assert.deepEqual(Object.fromEntries(names), {
    'almanac&&get_forecast': 'get_forecast',
    'weather&&get_forecast': 'get_forecast_2',
    'z&&get_forecast': 'get_forecast_3',
    'stocks&&get_quote': 'get_quote',
  });
  // a suffix already used as a real name is skipped
  const taken = semanticNames([tool('a', 'run'), tool('b', 'run'), tool('c', 'run_2')]);
  assert.deepEqual(Object.fromEntries(taken), { a: 'run', b: 'run_3', c: 'run_2' });
  const index = await ToolIndex.build(small, 'semantic');
  assert.equal(index.textToTool('get_forecast_2'), 'weather&&get_forecast');
});

test('numeric scheme writes the catalog position as space-separated digits', async () => {
  const tools = Array.from({ length: 408 }, (_, i) => tool(`t${i}`, `f${i}`));
  const index = await ToolIndex.build(tools, 'numeric');
  assert.equal(index.toolToText('t0'), '0');
  assert.equal(index.toolToText('t407'), '4 0 7');
  assert.equal(index.textToTool('1 2'), 't12');
});

test('hierarchical paths: digits per level, at most 10 tools per leaf, unique, and deterministic', async () => {
  const tools = syntheticCatalog(1500);
  const paths = await hierarchicalPaths(tools);
  assert.deepEqual(await hierarchicalPaths(tools), paths);
  assert.equal(new Set(paths.map((p) => p.join(' '))).size, tools.length);
  for (const p of paths) assert.ok(p.every((d) => Number.isInteger(d) && d >= 0 && d <= 9));
  const leaves = new Map<string, number>();
  for (const p of paths) leaves.set(p.slice(0, -1).join(' '), (leaves.get(p.slice(0, -1).join(' ')) ?? 0) + 1);
  assert.ok([...leaves.values()].every((n) => n <= 10));
});

test('hierarchical indexing groups tools whose documents are alike', async () => {
  // Two families with disjoint vocabularies and 10 tools each: k-means must not mix them at the first level.
  const tools = [
    ...Array.from({ length: 10 }, (_, i) => tool(`w${i}`, `weather_${i}`, 'rain snow wind temperature forecast')),
    ...Array.from({ length: 10 }, (_, i) => tool(`s${i}`, `stock_${i}`, 'equity dividend ticker exchange portfolio')),
  ];
  const paths = await hierarchicalPaths(tools, { branching: 2 });
  const firstDigit = (id: string): number => paths[tools.findIndex((t) => t.id === id)]![0]!;
  for (let i = 0; i < 10; i++) {
    assert.equal(firstDigit(`w${i}`), firstDigit('w0'));
    assert.equal(firstDigit(`s${i}`), firstDigit('s0'));
  }
  assert.notEqual(firstDigit('w0'), firstDigit('s0'));
});

test('hierarchical indexing splits tools with identical embeddings into equal parts instead of looping', async () => {
  const same: Embedder = (texts) => texts.map(() => Float32Array.of(1, 0));
  const tools = Array.from({ length: 25 }, (_, i) => tool(`t${i}`, `f${i}`));
  const paths = await hierarchicalPaths(tools, { embed: same });
  // 25 tools in parts of ceil(25 / 10) = 3: tool 5 is the third of part 1, tool 24 alone in part 8
  assert.deepEqual(paths[0], [0, 0]);
  assert.deepEqual(paths[5], [1, 2]);
  assert.deepEqual(paths[24], [8, 0]);
});

test('kmeans separates two distant blobs and is deterministic for a seed', () => {
  const points = [...Array.from({ length: 50 }, (_, i) => Float32Array.of(i * 0.001, 0)), ...Array.from({ length: 50 }, (_, i) => Float32Array.of(10 + i * 0.001, 10))];
  const members = points.map((_, i) => i);
  const a = kmeans(points, members, 2, { seed: 3 });
  assert.deepEqual(kmeans(points, members, 2, { seed: 3 }), a);
  assert.equal(new Set(a.slice(0, 50)).size, 1);
  assert.equal(new Set(a.slice(50)).size, 1);
  assert.notEqual(a[0], a[50]);
});

test('every scheme is a bijection on a 50,000-tool catalog (hierarchical on 5,000, see bench for 50,000)', async () => {
  const catalog = syntheticCatalog(50_000);
  for (const scheme of INDEX_SCHEMES) {
    const tools = scheme === 'hierarchical' ? catalog.slice(0, 5_000) : catalog;
    const index = await ToolIndex.build(tools, scheme);
    const texts = new Set<string>();
    for (const t of tools) {
      const text = index.toolToText(t.id);
      texts.add(text);
      assert.equal(index.textToTool(text), t.id, `${scheme}: ${text}`);
    }
    assert.equal(texts.size, tools.length, scheme);
  }
});

test('an index saves atomically as versioned JSON and loads back identical', async () => {
  await withTempDir('index', async (dir) => {
    const index = await ToolIndex.build(small, 'semantic');
    const path = join(dir, 'index.json');
    index.save(path);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { format: string; version: number; scheme: string };
    assert.deepEqual([saved.format, saved.version, saved.scheme], ['toolken-tool-index', 1, 'semantic']);
    const loaded = ToolIndex.load(path);
    assert.deepEqual(loaded.toJSON(), index.toJSON());
    assert.equal(loaded.textToTool('get_forecast_2'), 'weather&&get_forecast');
  });
});

test('loading names the file and the problem', () => {
  withTempDir('index', (dir) => {
    const path = join(dir, 'bad.json');
    const write = (value: unknown): void => writeFileSync(path, JSON.stringify(value));
    assert.throws(() => ToolIndex.load(join(dir, 'missing.json')), /cannot read tool index .*missing\.json/);
    writeFileSync(path, '{not json');
    assert.throws(() => ToolIndex.load(path), /bad\.json: not valid JSON/);
    write({ format: 'toolken-tool-index', version: 2, scheme: 'atomic', entries: [] });
    assert.throws(() => ToolIndex.load(path), /bad\.json: unsupported version 2/);
    write({ format: 'toolken-tool-index', version: 1, scheme: 'emoji', entries: [] });
    assert.throws(() => ToolIndex.load(path), /scheme must be one of atomic, semantic, numeric, hierarchical, got "emoji"/);
    write({ format: 'toolken-tool-index', version: 1, scheme: 'numeric', entries: [{ id: 'a', text: '1', name: 'a' }, { id: 'b', text: '1', name: 'b' }] });
    assert.throws(() => ToolIndex.load(path), /tools 'a' and 'b' share the index '1'/);
    write({ format: 'toolken-tool-index', version: 1, scheme: 'numeric', entries: [{ id: 'a' }] });
    assert.throws(() => ToolIndex.load(path), /entries\[0\] must be an object with string 'id', 'text' and 'name'/);
  });
});

test('a catalog with a repeated tool id is refused', async () => {
  await assert.rejects(ToolIndex.build([weather, weather], 'numeric'), /tool id 'weather&&get_forecast' appears twice in the catalog/);
});
