import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CatalogError } from '../../tools/catalog.js';
import { DataFileError } from './files.js';
import { loadUserDataset } from './user.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const catalog = write(
  'catalog.json',
  JSON.stringify({
    version: 1,
    tools: [
      { id: 'weather', name: 'weather', description: 'Current weather for a city', category: 'travel', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { id: 'sum', name: 'add', description: 'Adds numbers', parameters: { type: 'object', properties: {} } },
    ],
  }),
);

test('a catalog and JSON-lines queries load into one dataset; relevant defaults to the called tools', () => {
  const queries = write(
    'queries.jsonl',
    [
      JSON.stringify({ id: 'a', query: 'Is it raining in Oslo?', calls: [{ tool: 'weather', arguments: { city: 'Oslo' } }], domain: 'travel' }),
      '',
      JSON.stringify({ query: 'add 1 and 2', relevant: ['sum', 'sum'] }),
    ].join('\n'),
  );
  const data = loadUserDataset('mine', catalog, queries);
  assert.equal(data.name, 'mine');
  assert.deepEqual(
    data.tools.map((t) => [t.id, t.name]),
    [
      ['weather', 'weather'],
      ['sum', 'add'],
    ],
  );
  assert.deepEqual(data.queries, [
    { id: 'a', query: 'Is it raining in Oslo?', relevant: ['weather'], calls: [{ tool: 'weather', arguments: { city: 'Oslo' } }], domain: 'travel' },
    { id: '1', query: 'add 1 and 2', relevant: ['sum'] },
  ]);
});

test('queries may also be one JSON array', () => {
  const queries = write('queries.json', JSON.stringify([{ id: 'x', query: 'weather in Rome', relevant: ['weather'] }]));
  assert.equal(loadUserDataset('mine', catalog, queries).queries[0]!.id, 'x');
});

test('errors name the file, the line and the problem', () => {
  const unknown = write('unknown.jsonl', `${JSON.stringify({ query: 'q', relevant: ['weather'] })}\n${JSON.stringify({ query: 'q', relevant: ['nope'] })}\n`);
  assert.throws(() => loadUserDataset('m', catalog, unknown), new DataFileError(`${unknown}:2: tool 'nope' is not in the catalog`));
  const broken = write('broken.jsonl', '{"query": "q", \n');
  assert.throws(() => loadUserDataset('m', catalog, broken), (err: unknown) => err instanceof DataFileError && err.message.startsWith(`${broken}:1: not valid JSON`));
  const empty = write('empty.jsonl', '{"query": "q"}\n');
  assert.throws(() => loadUserDataset('m', catalog, empty), new DataFileError(`${empty}:1: a query needs 'relevant' tool ids or 'calls'`));
  // the catalog is checked by the tools module
  const badCatalog = write('bad-catalog.json', JSON.stringify({ version: 1, tools: [{ id: 'a', description: 'x' }] }));
  assert.throws(() => loadUserDataset('m', badCatalog, empty), (err: unknown) => err instanceof CatalogError && err.message.includes(`${badCatalog} /tools/0`));
  const missing = join(dir, 'missing.jsonl');
  assert.throws(() => loadUserDataset('m', catalog, missing), new DataFileError(`${missing}: file not found`));
  assert.throws(() => loadUserDataset('m', catalog, dir), new DataFileError(`${dir} is a folder; pass the file inside it`));
});
