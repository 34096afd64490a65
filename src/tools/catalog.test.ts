import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogError, catalogStats, loadCatalog, parseCatalog, saveCatalog, toolDocument } from './catalog.js';
import type { Tool, ToolCatalog } from './types.js';
import { withTempDir } from '../util/testing/temp-dir.js';

const forecast: Tool = {
  id: 'Weather&&Forecast',
  name: 'Forecast',
  description: 'Daily forecast\n for a city.',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'City name' },
      days: { type: 'integer', default: 3 },
      unit: { type: 'string', enum: ['C', 'F'] },
    },
    required: ['city'],
  },
  category: 'Weather',
  group: { name: 'Weather', description: 'Weather data.' },
  endpoint: { method: 'GET', url: 'https://weather.example.test/forecast', parameterLocations: { city: 'query' } },
  origin: { format: 'toolbench', file: 'q.json', location: '/0/api_list/0' },
};
const calculator: Tool = { id: 'add', name: 'add', description: '', parameters: { type: 'object', properties: {}, required: [] } };

test('a saved catalog loads back identical', () => {
  withTempDir('catalog', (dir) => {
    const catalog: ToolCatalog = { version: 1, tools: [forecast, calculator] };
    const path = join(dir, 'nested', 'catalog.json');
    saveCatalog(path, catalog);
    assert.deepEqual(loadCatalog(path), catalog);
    assert.ok(readFileSync(path, 'utf8').endsWith('}\n'));
  });
});

test('loading names the file and the entry that is wrong', () => {
  withTempDir('catalog', (dir) => {
    const path = join(dir, 'catalog.json');
    writeFileSync(path, JSON.stringify({ version: 1, tools: [calculator, { ...calculator, id: '' }] }));
    assert.throws(() => loadCatalog(path), new CatalogError(`${path} /tools/1: "id" must be a non-empty string, got ""`));
    writeFileSync(path, '{"version": 1, "tools": [');
    assert.throws(() => loadCatalog(path), (err: Error) => err instanceof CatalogError && err.message.startsWith(`catalog ${path} is not valid JSON:`));
    assert.throws(() => loadCatalog(join(dir, 'absent.json')), new CatalogError(`catalog ${join(dir, 'absent.json')} does not exist`));
  });
});

test('catalog validation rejects bad versions, duplicate ids, bad schemas and bad endpoints', () => {
  assert.throws(() => parseCatalog({ version: 2, tools: [] }, 'c.json'), new CatalogError('catalog c.json: unsupported version 2 (expected 1)'));
  assert.throws(() => parseCatalog({ version: 1, tools: [calculator, calculator] }, 'c.json'), new CatalogError("catalog c.json /tools/1: duplicate id 'add' (first at /tools/0)"));
  assert.throws(
    () => parseCatalog({ version: 1, tools: [{ ...calculator, parameters: { type: 'object', properties: { x: { type: 'complex' } } } }] }, 'c.json'),
    new CatalogError("c.json /tools/0 /parameters/properties/x/type: unknown type name 'complex' (expected a JSON Schema type or a known alias such as dict, float, str)"),
  );
  assert.throws(
    () => parseCatalog({ version: 1, tools: [{ ...calculator, endpoint: { method: 'FETCH', url: 'http://x' } }] }, 'c.json'),
    new CatalogError('c.json /tools/0 /endpoint: "method" must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, got "FETCH"'),
  );
  const { parameters: _parameters, ...withoutParameters } = calculator;
  assert.throws(() => parseCatalog({ version: 1, tools: [withoutParameters] }, 'c.json'), new CatalogError('c.json /tools/0: "parameters" is missing'));
});

test('the tool document renders group, API, category and parameters in a fixed order', () => {
  assert.equal(
    toolDocument(forecast),
    [
      'Tool name: Weather',
      'Tool description: Weather data.',
      'API name: Forecast',
      'API description: Daily forecast for a city.',
      'Category: Weather',
      'Parameters:',
      '- city (string, required): City name',
      '- days (integer, optional) [default: 3]',
      '- unit (string, optional) [one of: C, F]',
    ].join('\n'),
  );
  assert.equal(toolDocument(calculator), 'Tool name: add');
});

test('catalog statistics count tools, groups, categories, formats and parameters', () => {
  assert.deepEqual(catalogStats({ version: 1, tools: [forecast, calculator] }), {
    tools: 2,
    groups: 1,
    categories: 1,
    byFormat: { toolbench: 1, unknown: 1 },
    byCategory: { Weather: 1 },
    parameters: { total: 3, required: 1, maxPerTool: 3, withoutParameters: 1 },
    withEndpoint: 1,
    withReturns: 0,
    descriptionChars: { mean: 13.5, empty: 1 },
  });
});
