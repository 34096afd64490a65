import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDatasetsDir } from './files.js';
import { loadMetaTool } from './metatool.js';
import { loadSealTools } from './seal-tools.js';
import { loadStableToolBench } from './stabletoolbench.js';

const root = sharedDatasetsDir();
const dir = (...parts: string[]): string | undefined => (existsSync(join(root, ...parts)) ? join(root, ...parts) : undefined);

test('MetaTool: 199 tools, every CSV pair and multi-tool query, identical texts merged', (t) => {
  const path = dir('metatool', 'dataset');
  if (!path) return t.skip('../shared absent');
  const data = loadMetaTool(path);
  assert.equal(data.tools.length, 199);
  const calculator = data.tools.find((tool) => tool.id === 'calculator');
  assert.match(calculator!.description, /^A calculator app that executes a given formula/);
  // 20,615 CSV rows with 50 repeated texts, plus 497 multi-tool queries
  const pairs = data.queries.reduce((sum, q) => sum + q.relevant.length, 0);
  assert.ok(pairs >= 20_615 - 50);
  assert.equal(new Set(data.queries.map((q) => q.query)).size, data.queries.length);
  const multi = data.queries.find((q) => q.query === 'I want to know the latest news about Tesla and how it has impacted the stock market.');
  assert.deepEqual(multi?.relevant, ['FinanceTool', 'NewsTool']);
  const ids = new Set(data.tools.map((tool) => tool.id));
  for (const q of data.queries) for (const id of q.relevant) assert.ok(ids.has(id), id);
});

test('Seal-Tools: 4,076 tools with typed schemas; test_in_domain queries carry gold calls', (t) => {
  const path = dir('seal-tools', 'Seal-Tools_Dataset');
  if (!path) return t.skip('../shared absent');
  const data = loadSealTools(path, 'test_in_domain');
  assert.equal(data.tools.length, 4076);
  assert.equal(data.queries.length, 700);
  const swimming = data.tools.find((tool) => tool.id === 'getSwimmingInfo')!;
  assert.equal(swimming.category, 'Sports');
  assert.equal(swimming.parameters.properties.distance!.type, 'integer');
  assert.equal(swimming.parameters.properties.is_indoor!.type, 'boolean');
  assert.deepEqual(swimming.parameters.required, ['technique', 'distance']);
  const last = data.queries.find((q) => q.id === 'test_in_domain-difficult-699')!;
  assert.deepEqual(last.relevant, ['getNuclearEnergyData', 'getEthicsInInternationalRelations', 'getTelecomPolicy', 'getEnvironmentalPolicy']);
  assert.deepEqual(last.calls![0], { tool: 'getNuclearEnergyData', arguments: { location: 'China', year: 2020 } });
  assert.equal(last.domain, undefined, 'calls in several fields give no single domain');
  assert.equal(loadSealTools(path, 'dev').queries.length, 700);
});

test('StableToolBench: 765 solvable queries whose relevant APIs are tools named tool&&api; unreadable APIs are listed', (t) => {
  const path = dir('stabletoolbench', 'solvable_queries');
  if (!path) return t.skip('../shared absent');
  const data = loadStableToolBench(path);
  assert.equal(data.queries.length, 765);
  const first = data.queries.find((q) => q.id === 'G1_instruction/588')!;
  assert.deepEqual(first.relevant, ['TheClique&&Transfermarkt search', 'TheClique&&Transfermarkt details']);
  assert.equal(first.domain, 'Data');
  const concert = data.tools.find((tool) => tool.id === 'TheClique&&Songkick concert')!;
  assert.deepEqual(concert.parameters.required, ['id_conc']);
  assert.deepEqual(concert.group, { name: 'TheClique' });
  // two G1_instruction APIs declare a parameter twice; one of them is relevant to query /42
  assert.deepEqual(
    data.issues!.map((line) => line.slice(line.indexOf('G1_instruction.json'))),
    [
      "G1_instruction.json /42/api_list/1/optional_parameters/1: parameter 'array[]' is declared twice (API left out)",
      "G1_instruction.json /48/api_list/4/optional_parameters/0: parameter 'id' is declared twice (API left out)",
      "G1_instruction.json /42: relevant API 'Reqres - dont change!&&User by id' left out (its entry cannot be read)",
    ],
  );
  assert.equal(new Set(data.tools.map((tool) => tool.id)).size, data.tools.length);
  assert.equal(loadStableToolBench(path, ['G3_instruction']).queries.length, 61);
});
