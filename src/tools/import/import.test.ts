import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectFormat, importFile, importToolFiles, mergeTools, ImportError } from './index.js';
import { parseDocument } from './entries.js';
import { templateSchema, toolbenchId } from './toolbench.js';
import type { Tool } from '../types.js';
import { withTempDir } from '../../util/testing/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const SHARED = fileURLToPath(new URL('../../../../shared/datasets/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
/** Rows of a CSV text with quoted fields ("" escapes a quote; quoted fields may span lines). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
const withoutOrigins = (tools: Tool[]): Omit<Tool, 'origin'>[] => tools.map(({ origin: _origin, ...rest }) => rest);

test('a ToolBench tool file yields one tool per API with id tool&&api, group, category and endpoint', () => {
  const { format, result } = importFile(fixture('toolbench-tool.json'));
  assert.equal(format, 'toolbench');
  assert.deepEqual(withoutOrigins(result.tools), [
    {
      id: 'Tide Tables&&Station tides',
      name: 'Station tides',
      description: 'High and low tides for a station on a date.',
      parameters: {
        type: 'object',
        properties: {
          station: { type: 'string', description: 'Station code', default: 'BRST' },
          date: { type: 'string', format: 'date', description: 'Day to predict' },
          units: { type: 'string', description: 'metres or feet', default: 'metres' },
          days: { type: 'number', description: 'How many days', default: 1 },
        },
        required: ['station', 'date'],
      },
      category: 'Weather',
      group: { name: 'Tide Tables', description: 'Tide predictions for coastal stations.' },
      endpoint: { method: 'GET', url: 'https://tide-tables.example.test/stations/{station}/tides' },
    },
  ]);
  assert.deepEqual(result.tools[0]!.origin, { format: 'toolbench', file: fixture('toolbench-tool.json'), location: '/api_list/0' });
  assert.deepEqual(result.issues, [
    { file: fixture('toolbench-tool.json'), location: '/api_list/1/required_parameters/1', reason: "parameter 'lat' is declared twice" },
  ]);
  assert.equal(toolbenchId('Tide Tables', 'Station tides'), result.tools[0]!.id);
});

test("StableToolBench's template_response becomes a loose schema without required properties", () => {
  assert.deepEqual(templateSchema({ id: 'int', tags: 'list of str with length 3', items: [{ score: 'float', _list_length: 2 }], next: 'NoneType', raw: '{"a": 1}' }), {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string' } },
      items: { type: 'array', items: { type: 'object', properties: { score: { type: 'number' } } } },
      next: { type: 'null' },
      raw: {},
    },
  });
  assert.deepEqual(templateSchema('empty list'), { type: 'array' });
});

test('an OpenAI tools list keeps JSON Schema as is and reports an undeclared required parameter', () => {
  const { format, result } = importFile(fixture('openai-tools.json'));
  assert.equal(format, 'openai');
  assert.deepEqual(withoutOrigins(result.tools), [
    {
      id: 'get_weather',
      name: 'get_weather',
      description: 'Current weather for a city.',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', description: 'City name' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'], default: 'celsius' } },
        required: ['city'],
        additionalProperties: false,
      },
    },
    { id: 'now', name: 'now', description: 'The current time.', parameters: { type: 'object', properties: {}, required: [] } },
  ]);
  assert.equal(result.tools[0]!.origin?.location, '/tools/0/function');
  assert.deepEqual(result.issues.map((i) => `${i.location}: ${i.reason}`), ["/tools/2/function/parameters/required: required parameter 'x' is not declared in properties"]);
});

test('BFCL function docs map Python and Java type names and report unknown types and broken lines', () => {
  const { format, result } = importFile(fixture('bfcl-functions.json'));
  assert.equal(format, 'bfcl');
  assert.deepEqual(
    result.tools.map((t) => [t.id, t.origin?.location]),
    [
      ['geometry.circle_area', 'line 1 /function/0'],
      ['sort_list', 'line 2 /function/0'],
      ['geometry.circle_area', 'line 3 /function/0'],
    ],
  );
  assert.deepEqual(result.tools[0]!.parameters.properties, { radius: { type: 'number', description: 'Radius.' }, units: { type: 'string', description: 'Units.', default: 'cm' } });
  assert.deepEqual(result.tools[1]!.parameters.properties, {
    items: { type: 'array', items: { type: 'integer' } },
    pair: { type: 'array', items: {} },
    options: { type: 'object', properties: { reverse: { type: 'boolean' } } },
  });
  assert.deepEqual(
    result.issues.map((i) => i.location),
    ['line 4', 'line 2 /function/1/parameters/properties/x/type'],
  );
  assert.match(result.issues[0]!.reason, /^not valid JSON/);
  assert.equal(result.issues[1]!.reason, "unknown type name 'quaternion' (expected a JSON Schema type or a known alias such as dict, float, str)");
});

test('Seal-Tools records become tools with category = the domain and returns from responses', () => {
  const { format, result } = importFile(fixture('seal-tools.jsonl'));
  assert.equal(format, 'seal-tools');
  assert.deepEqual(withoutOrigins(result.tools)[0], {
    id: 'bookTable',
    name: 'bookTable',
    description: 'Book a restaurant table',
    parameters: {
      type: 'object',
      properties: {
        restaurant: { type: 'string', description: 'Restaurant name' },
        guests: { type: 'integer', description: 'Number of guests' },
        outdoor: { type: 'boolean', description: 'Sit outside' },
      },
      required: ['restaurant', 'guests'],
    },
    returns: { type: 'object', properties: { confirmation: { type: 'string', description: 'Booking code' } } },
    category: 'Food',
  });
  assert.deepEqual(
    result.issues.map((i) => `${i.location}: ${i.reason}`),
    ['line 3 /api_name: missing "api_name"'],
  );
});

test('MetaTool plugin manifests use name_for_model as id and the human name as group', () => {
  const { format, result } = importFile(fixture('metatool-plugins.json'));
  assert.equal(format, 'metatool');
  assert.deepEqual(
    result.tools.map((t) => [t.id, t.description, t.group]),
    [
      ['recipe_finder', 'Find recipes by ingredient.', { name: 'Recipe Finder', description: 'Cook with what you have.' }],
      ['flight_status', 'Live status of a flight by number.', { name: 'Flight Status' }],
    ],
  );
  assert.deepEqual(result.issues.map((i) => i.location), ['/2/name_for_model']);
});

test('a BEIR corpus maps _id, title and text and refuses empty records', () => {
  const { format, result } = importFile(fixture('corpus.jsonl'));
  assert.equal(format, 'beir');
  assert.deepEqual(
    result.tools.map((t) => [t.id, t.name, t.description]),
    [
      ['weather&&forecast', 'forecast', 'Seven-day weather forecast for a city.'],
      ['17', '17', 'A record with a numeric id and no title.'],
    ],
  );
  assert.deepEqual(result.issues.map((i) => `${i.location}: ${i.reason}`), [`line 3: record 'empty' has neither "title" nor "text"`]);
});

test('an MCP tools/list response maps inputSchema and outputSchema', () => {
  const { format, result } = importFile(fixture('mcp-tools-list.json'));
  assert.equal(format, 'mcp');
  assert.deepEqual(withoutOrigins(result.tools)[0], {
    id: 'read_file',
    name: 'read_file',
    description: 'Read a text file from the workspace.',
    parameters: { type: 'object', properties: { path: { type: 'string', minLength: 1 } }, required: ['path'] },
    returns: { type: 'object', properties: { text: { type: 'string' } } },
  });
  assert.deepEqual(result.issues.map((i) => `${i.location}: ${i.reason}`), ['/result/tools/2/inputSchema/type: parameters must be an object schema, got type "string"']);
});

test('an OpenAPI document yields one tool per operation with resolved $refs and parameter locations', () => {
  const { format, result } = importFile(fixture('openapi.json'));
  assert.equal(format, 'openapi');
  assert.deepEqual(
    withoutOrigins(result.tools).map((t) => [t.id, t.description, t.parameters.required, t.endpoint]),
    [
      ['getBook', 'Get a book', ['isbn'], { method: 'GET', url: 'https://library.example.test/v1/books/{isbn}', parameterLocations: { isbn: 'path' } }],
      ['GET /books', 'Search books', ['q'], { method: 'GET', url: 'https://library.example.test/v1/books', parameterLocations: { q: 'query', limit: 'query' } }],
      ['createLoan', 'Lend a book.', ['bookId'], { method: 'POST', url: 'https://library.example.test/v1/loans', parameterLocations: { bookId: 'body', days: 'body' } }],
    ],
  );
  assert.deepEqual(result.tools[1]!.parameters.properties.limit, { type: 'integer', maximum: 100, description: 'Page size' });
  assert.deepEqual(result.tools[0]!.group, { name: 'Library', description: 'Books and loans.' });
  assert.equal(result.tools[2]!.category, 'loans');
  assert.deepEqual(result.issues.map((i) => `${i.location}: ${i.reason}`), ['/paths/~1covers/put/requestBody: only application/json request bodies are supported']);
});

test('an OpenAPI document in YAML imports like its JSON form', () => {
  withTempDir('import', (dir) => {
    const yaml = [
      'openapi: 3.0.3',
      'info: { title: Pets }',
      'servers: [{ url: "https://pets.example.test" }]',
      'paths:',
      '  /pets/{petId}:',
      '    get:',
      '      operationId: getPet',
      '      parameters:',
      '        - { name: petId, in: path, required: true, schema: { $ref: "#/components/schemas/Id" } }',
      'components:',
      '  schemas:',
      '    Id: { type: integer, minimum: 1 }',
    ].join('\n');
    writeFileSync(join(dir, 'pets.yaml'), yaml);
    const { format, result } = importFile(join(dir, 'pets.yaml'));
    assert.equal(format, 'openapi');
    assert.deepEqual(result.tools[0]!.parameters, { type: 'object', properties: { petId: { type: 'integer', minimum: 1 } }, required: ['petId'] });
    assert.equal(result.tools[0]!.endpoint?.url, 'https://pets.example.test/pets/{petId}');
  });
});

test('format detection recognizes each shape and gives up on unknown ones', () => {
  const cases: readonly [string, string | undefined][] = [
    ['{"openapi": "3.1.0", "paths": {}}', 'openapi'],
    ['[{"type": "function", "function": {"name": "f"}}]', 'openai'],
    ['[{"name": "f", "parameters": {"type": "object"}}]', 'openai'],
    ['{"name": "f", "parameters": {"type": "dict"}}\n{"name": "g", "parameters": {"type": "dict"}}', 'bfcl'],
    ['{"tools": [{"name": "f", "inputSchema": {}}]}', 'mcp'],
    ['{"a": "does a", "b": "does b"}', 'metatool'],
    ['[{"api_list": []}]', 'toolbench'],
    ['{"hello": 1}', undefined],
  ];
  for (const [text, format] of cases) assert.equal(detectFormat(parseDocument(text, 'x')), format, text);
});

test('a file in no known format is an error that suggests --format', () => {
  withTempDir('import', (dir) => {
    const path = join(dir, 'mystery.json');
    writeFileSync(path, '{"hello": 1}');
    assert.throws(() => importFile(path), new ImportError(`${path}: cannot tell the tool format from its contents; pass --format (one of toolbench, openai, bfcl, seal-tools, metatool, beir, mcp, openapi, toolalpaca)`));
    assert.throws(() => importFile(join(dir, 'absent.json')), new ImportError(`tool file ${join(dir, 'absent.json')} does not exist`));
    assert.throws(() => importFile(dir), new ImportError(`tool file ${dir} is a folder; pass the files inside it`));
    writeFileSync(join(dir, 'README.md'), '# Tools\n\nNot JSON.\n');
    assert.throws(
      () => importFile(join(dir, 'README.md')),
      new ImportError(`${join(dir, 'README.md')} is not a tool file: neither JSON nor JSON lines (line 1 is not JSON); tool files are JSON, JSON lines, or YAML (.yaml) for OpenAPI`),
    );
    writeFileSync(join(dir, 'broken.yaml'), 'openapi: [3\n');
    assert.throws(() => importFile(join(dir, 'broken.yaml')), /broken\.yaml is not valid YAML \(line \d+, column \d+\)/);
  });
});

test('identical duplicates are merged, different definitions under one id are conflicts that keep the first', () => {
  const base: Tool = { id: 'f', name: 'f', description: 'one', parameters: { type: 'object', properties: {}, required: [] }, origin: { format: 'openai', file: 'a.json', location: '/0' } };
  const same: Tool = { ...base, origin: { format: 'openai', file: 'b.json', location: '/3' } };
  const other: Tool = { ...base, description: 'two', origin: { format: 'openai', file: 'c.json', location: '/1' } };
  const merged = mergeTools([base, same, other]);
  assert.deepEqual(merged.tools, [base]);
  assert.equal(merged.duplicates, 1);
  assert.deepEqual(merged.conflicts, [{ file: 'c.json', location: '/1', reason: "id 'f' is already defined differently (description); kept a.json /0" }]);
});

test('importing several files merges across them and reports every invalid entry', () => {
  const report = importToolFiles([fixture('bfcl-functions.json'), fixture('openai-tools.json'), fixture('openapi.json')]);
  assert.deepEqual(
    report.catalog.tools.map((t) => t.id),
    ['geometry.circle_area', 'sort_list', 'get_weather', 'now', 'getBook', 'GET /books', 'createLoan'],
  );
  assert.equal(report.duplicates, 1);
  assert.equal(report.invalid.length, 4);
  assert.deepEqual(
    report.files.map((f) => [f.format, f.tools, f.invalid]),
    [
      ['bfcl', 3, 2],
      ['openai', 2, 1],
      ['openapi', 3, 1],
    ],
  );
});

test('with onInvalid reject, any invalid entry fails the import and names it', () => {
  assert.throws(
    () => importToolFiles([fixture('seal-tools.jsonl')], { onInvalid: 'reject' }),
    (err: Error) => err instanceof ImportError && err.message === `1 invalid tool entries (--on-invalid reject):\n  ${fixture('seal-tools.jsonl')} line 3 /api_name: missing "api_name"`,
  );
  assert.equal(importToolFiles([fixture('openapi.json')], { format: 'openapi', onInvalid: 'skip' }).catalog.tools.length, 3);
});

test('the StableToolBench solvable queries import to 2,477 APIs with two invalid parameter lists', (t) => {
  const dir = join(SHARED, 'stabletoolbench/solvable_queries/test_instruction');
  if (!existsSync(dir)) return t.skip('../shared absent');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
  const report = importToolFiles(files);
  assert.ok(report.files.every((f) => f.format === 'toolbench'));
  assert.equal(report.catalog.tools.length, 2477);
  assert.deepEqual(
    report.invalid.map((i) => i.reason),
    ["parameter 'array[]' is declared twice", "parameter 'id' is declared twice"],
  );
  const songkick = report.catalog.tools.find((tool) => tool.id === 'TheClique&&Songkick concert');
  assert.deepEqual(songkick?.parameters, {
    type: 'object',
    properties: { id_conc: { type: 'string', default: '40698227-lumineers-at-aware-super-theatre' } },
    required: ['id_conc'],
  });
  assert.deepEqual(songkick?.group, { name: 'TheClique' });
  assert.deepEqual(songkick?.returns?.properties?.line_up, {
    type: 'array',
    items: { type: 'object', properties: { link: { type: 'string' }, name: { type: 'string' } } },
  });
  assert.equal(songkick?.category, 'Data');
});

test('the ToolBench example queries import without invalid entries', (t) => {
  const dir = join(SHARED, 'toolbench-examples/data_example/instruction');
  if (!existsSync(dir)) return t.skip('../shared absent');
  const report = importToolFiles(['G1_query.json', 'G2_query.json', 'G3_query.json'].map((f) => join(dir, f)));
  assert.equal(report.catalog.tools.length, 26);
  assert.equal(report.invalid.length, 0);
  assert.equal(report.conflicts.length, 0);
});

test('BFCL question files and multi-turn docs import without invalid entries', (t) => {
  if (!existsSync(join(SHARED, 'bfcl'))) return t.skip('../shared absent');
  const files = ['multi_turn_func_doc/math_api.json', 'BFCL_v4_simple_python.json', 'BFCL_v4_simple_java.json', 'BFCL_v4_live_multiple.json'];
  const report = importToolFiles(files.map((f) => join(SHARED, 'bfcl', f)));
  assert.deepEqual(
    report.files.map((f) => [f.format, f.tools, f.invalid]),
    [
      ['bfcl', 17, 0],
      ['bfcl', 400, 0],
      ['bfcl', 100, 0],
      ['bfcl', 4178, 0],
    ],
  );
  const add = report.catalog.tools.find((tool) => tool.id === 'add');
  assert.deepEqual(add?.parameters.properties.a, { type: 'number', description: 'First number.' });
  assert.deepEqual(add?.returns?.type, 'object');
});

test('Seal-Tools tool.jsonl imports all 4,076 tools, each category a domain of field.jsonl', (t) => {
  const dir = join(SHARED, 'seal-tools/Seal-Tools_Dataset');
  if (!existsSync(dir)) return t.skip('../shared absent');
  const report = importToolFiles([join(dir, 'tool.jsonl')]);
  assert.equal(report.catalog.tools.length, 4076);
  assert.equal(report.invalid.length, 0);
  const domains = new Set(
    readFileSync(join(dir, 'field.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => Object.keys(JSON.parse(l) as object)),
  );
  assert.ok(report.catalog.tools.every((tool) => tool.category !== undefined && domains.has(tool.category)));
});

test('MetaTool descriptions import by tool name, covering every tool of the query set', (t) => {
  const dir = join(SHARED, 'metatool/dataset');
  if (!existsSync(dir)) return t.skip('../shared absent');
  const plugins = importToolFiles([join(dir, 'plugin_des.json')]);
  assert.equal(plugins.catalog.tools.length, 199);
  const big = importToolFiles([join(dir, 'big_tool_des.json')]);
  assert.equal(big.catalog.tools.length, 47);
  const used = new Set(csvRows(readFileSync(join(dir, 'data/all_clean_data.csv'), 'utf8')).slice(1).map((row) => row[1]!));
  const known = new Set([...plugins.catalog.tools, ...big.catalog.tools].map((tool) => tool.id));
  assert.deepEqual([...used].filter((name) => !known.has(name)), []);
});

const MISSING_ACTIONS = ['preferred-routes_search_get', 'vatsim_controllers_get', 'vatsim_pilots_get', 'weather_metar_get', 'weather_taf_get'];

test('ToolAlpaca entries import through their embedded OpenAPI documents, grouped by API', (t) => {
  const dir = join(SHARED, 'toolalpaca/data');
  if (!existsSync(dir)) return t.skip('../shared absent');
  const real = importToolFiles([join(dir, 'eval_real.json')]);
  assert.deepEqual(real.files.map((f) => [f.format, f.tools, f.invalid]), [['toolalpaca', 40, 5]]);
  assert.equal(real.invalid[0]!.reason, "path '/preferred-routes/search' is nested inside the path item '/preferred-routes'; paths must be keys of \"paths\"");
  const first = real.catalog.tools[0]!;
  assert.deepEqual([first.id, first.group?.name, first.category, first.endpoint?.url], ['CountryCountryInfo', 'Nager.Date', 'Calendar', 'https://date.nager.at/api/v3/CountryInfo/{countryCode}']);
  assert.equal(first.origin?.location, '/0/Documentation /paths/~1api~1v3~1CountryInfo~1{countryCode}/get');
  // Golden answers name imported tools, except the AviationAPI operations its document nests inside a path item.
  const entries = JSON.parse(readFileSync(join(dir, 'eval_real.json'), 'utf8')) as { Golden_Answers: { Action: string }[][] }[];
  const ids = new Set(real.catalog.tools.map((tool) => tool.id));
  const missing = new Set(entries.flatMap((entry) => entry.Golden_Answers.flat().map((step) => step.Action)).filter((action) => !ids.has(action)));
  assert.deepEqual([...missing].sort(), MISSING_ACTIONS);
  const simulated = importToolFiles([join(dir, 'eval_simulated.json')]);
  assert.deepEqual(simulated.files.map((f) => [f.tools, f.invalid]), [[51, 3]]);
  assert.ok(simulated.invalid.some((issue) => issue.location === '/3/Documentation /paths/~1generateAvatar/post/requestBody'));
});
