import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonValue } from '../../tools/types.js';
import { isJsonValue, validateJson } from '../../tools/validate.js';
import { demoCatalog, demoImplementations, demoTools } from './catalog.js';
import { demoQuerySplit, generateDemoQueries, templateSlots } from './queries.js';

const run = demoImplementations();
const call = (id: string, args: JsonValue): JsonValue => run.get(id)!(args);

test('the catalog has at least 120 tools in at least 8 domains, with unique ids and object schemas', () => {
  const tools = demoCatalog();
  assert.ok(tools.length >= 120, `${tools.length} tools`);
  assert.ok(new Set(tools.map((t) => t.category)).size >= 8);
  assert.equal(new Set(tools.map((t) => t.id)).size, tools.length);
  for (const t of tools) {
    assert.equal(t.parameters.type, 'object');
    assert.ok(t.description.length > 10, t.id);
    for (const r of t.parameters.required) assert.ok(r in t.parameters.properties, `${t.id}: required ${r}`);
  }
});

test('every template mentions all required parameters and only known ones', () => {
  for (const demo of demoTools()) {
    assert.ok(demo.templates.length >= 3, `${demo.tool.id} has ${demo.templates.length} templates`);
    for (const template of demo.templates) {
      const slots = templateSlots(template);
      for (const name of demo.tool.parameters.required) assert.ok(slots.includes(name), `${demo.tool.id}: '${template}' omits ${name}`);
      for (const name of slots) assert.ok(name in demo.params, `${demo.tool.id}: '${template}' names unknown ${name}`);
    }
  }
});

test('every generated call validates against its schema and its implementation returns JSON', () => {
  const tools = new Map(demoCatalog().map((t) => [t.id, t]));
  for (const q of generateDemoQueries({ seed: 5 })) {
    const { tool, arguments: args } = q.calls![0]!;
    assert.deepEqual(validateJson(tools.get(tool)!.parameters, args), [], `${q.query}`);
    const result = call(tool, args);
    assert.ok(isJsonValue(result), `${tool}(${JSON.stringify(args)}) returned ${String(result)}`);
  }
});

test('every tool gets the requested number of distinct queries, in its own domain', () => {
  const queries = generateDemoQueries({ seed: 1, perTool: 12 });
  const perTool = new Map<string, number>();
  for (const q of queries) perTool.set(q.relevant[0]!, (perTool.get(q.relevant[0]!) ?? 0) + 1);
  for (const tool of demoCatalog()) {
    assert.equal(perTool.get(tool.id), 12, tool.id);
  }
  assert.equal(new Set(queries.map((q) => q.query.toLowerCase())).size, queries.length);
  assert.equal(queries.find((q) => q.relevant[0] === 'hex_to_rgb')!.domain, 'colors');
});

test('parameters declared distinct never take the same value in one query', () => {
  const distinct = new Map(demoTools().map((d) => [d.tool.id, d.distinct]));
  let checked = 0;
  for (const q of generateDemoQueries({ seed: 3 })) {
    const args = q.calls![0]!.arguments as Record<string, JsonValue>;
    const names = distinct.get(q.relevant[0]!)!.filter((name) => name in args);
    if (names.length < 2) continue;
    checked++;
    assert.equal(new Set(names.map((name) => args[name])).size, names.length, q.query);
  }
  assert.ok(checked > 100);
});

test('generation is deterministic by seed', () => {
  assert.deepEqual(generateDemoQueries({ seed: 9, perTool: 3 }), generateDemoQueries({ seed: 9, perTool: 3 }));
  assert.notDeepEqual(generateDemoQueries({ seed: 9, perTool: 3 }), generateDemoQueries({ seed: 10, perTool: 3 }));
});

test('train and test share no query text and test holds a quarter', () => {
  const { train, test: testSplit } = demoQuerySplit({ seed: 2 });
  const trainTexts = new Set(train.map((q) => q.query.toLowerCase()));
  assert.ok(testSplit.every((q) => !trainTexts.has(q.query.toLowerCase())));
  assert.equal(testSplit.length, Math.round((train.length + testSplit.length) * 0.25));
});

test('implementations compute the documented results', () => {
  assert.equal(call('add_numbers', { numbers: [0.1, 0.2] }), 0.3);
  assert.equal(call('convert_temperature', { value: 100, from_scale: 'C', to_scale: 'F' }), 212);
  assert.equal(call('convert_length', { value: 1, from_unit: 'mi', to_unit: 'km' }), 1.609344);
  assert.equal(call('days_between_dates', { start_date: '2024-02-01', end_date: '2024-03-01' }), 29);
  assert.equal(call('iso_week_number', { date: '2021-01-03' }), 53);
  assert.equal(call('day_of_week', { date: '2000-01-01' }), 'Saturday');
  assert.equal(call('quarter_of_date', { date: '2024-04-15', calendar: 'fiscal-april' }), 1);
  assert.equal(call('to_title_case', { text: 'hello wORLD' }), 'Hello World');
  assert.equal(call('slugify', { title: 'Café & Bakery Opening Soon' }), 'cafe-bakery-opening-soon');
  assert.equal(call('loan_monthly_payment', { amount: 100000, annual_rate_percent: 6, months: 360 }), 599.55);
  assert.deepEqual(call('hex_to_rgb', { hex: '#ff5733' }), { r: 255, g: 87, b: 51 });
  assert.equal(call('contrast_ratio', { foreground: '#000000', background: '#ffffff' }), 21);
  assert.equal(call('to_roman_numeral', { value: 1994 }), 'MCMXCIV');
  assert.equal(call('from_roman_numeral', { numeral: 'MCMXCIV' }), 1994);
  assert.equal(call('morse_encode', { text: 'sos' }), '... --- ...');
  assert.equal(call('base64_encode', { text: 'hello world' }), 'aGVsbG8gd29ybGQ=');
  assert.equal(call('median', { values: [3, 1, 4, 2] }), 2.5);
  assert.deepEqual(call('mode', { values: [1, 2, 2, 3, 3] }), [2, 3]);
  assert.deepEqual(call('rotate_list', { values: [1, 2, 3, 4], steps: -1 }), [4, 1, 2, 3]);
  assert.deepEqual(call('prime_factors', { n: 360 }), [2, 2, 2, 3, 3, 5]);
  assert.equal(call('great_circle_distance', { lat1: 0, lon1: 0, lat2: 0, lon2: 180 }), 20015.114);
});

test('an implementation refuses arguments that break its schema, naming the tool and the problem', () => {
  assert.throws(() => call('factorial', { n: 'five' }), /^Error: factorial: invalid arguments\n\/n: /);
  assert.throws(() => call('circle_area', {}), /^Error: circle_area: invalid arguments\n/);
});
