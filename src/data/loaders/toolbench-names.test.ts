import assert from 'node:assert/strict';
import { test } from 'node:test';
import { standardizeToolBenchName, toolBenchFunctionName, toolBenchIdentifier } from './toolbench-names.js';

test('ToolBench names are standardized the way its agent sees them', () => {
  assert.equal(standardizeToolBenchName('Investors Exchange (IEX) Trading'), 'investors_exchange_iex_trading');
  assert.equal(standardizeToolBenchName('  --Songkick  concert--'), 'songkick_concert');
  assert.equal(standardizeToolBenchName('4D Results'), 'get_4d_results');
  assert.equal(toolBenchIdentifier('id'), 'is_id');
  assert.equal(toolBenchIdentifier('ID '), 'is_id');
});

test('function names are api_for_tool, cut to the last 64 characters', () => {
  assert.equal(toolBenchFunctionName('TheClique', 'Songkick concert'), 'songkick_concert_for_theclique');
  assert.equal(toolBenchFunctionName('transitaires', 'id'), 'is_id_for_transitaires');
  assert.equal(toolBenchFunctionName('Investors Exchange (IEX) Trading', 'IEX Short Interest List'), 'iex_short_interest_list_for_investors_exchange_iex_trading');
  const long = toolBenchFunctionName('tool', 'x'.repeat(80));
  assert.equal(long.length, 64);
  assert.ok(long.endsWith('x_for_tool'));
});
