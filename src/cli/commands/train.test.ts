import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCatalog } from '../../data/demo/catalog.js';
import { ToolIndex } from '../../indexing/tool-index.js';
import { loadModel } from '../../models/load.js';
import { saveModel } from '../../models/save.js';
import { saveCatalog, toolDocument } from '../../tools/catalog.js';
import { scratchModel, trainScratchTokenizer } from '../../train/scratch.js';
import { CliError } from '../args.js';
import { command as retrieve } from './retrieve.js';
import { Bm25Index } from '../../retrieval/bm25.js';
import { command as train } from './train.js';
import type { CliCommand } from '../args.js';
import type { Tool } from '../../tools/types.js';
import { runCommand } from '../testing/capture.js';
import { interruptTraining, loggedSteps } from '../testing/interrupt-training.js';

/** Two tools from each of three domains. */
const tools = [...new Set(demoCatalog().map((t) => t.category))]
  .slice(0, 3)
  .flatMap((category) => demoCatalog().filter((t) => t.category === category).slice(0, 2));

/** A catalog of six demo tools and an untrained scratch model, in a fresh folder. */
function fixture(): { dir: string; catalog: string; model: string } {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-train-cli-'));
  const catalog = join(dir, 'catalog.json');
  saveCatalog(catalog, { version: 1, tools });
  const tokenizer = trainScratchTokenizer(tools.map(toolDocument), 320);
  const model = join(dir, 'base');
  saveModel(scratchModel(tokenizer, { vocabSize: 320, dim: 32, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 64, maxPositions: 512, seed: 1 }), tokenizer, model);
  return { dir, catalog, model };
}

const capture = (cmd: CliCommand, ...argv: string[]): ReturnType<typeof runCommand> => runCommand(cmd, argv);

const rejectsWith = (promise: Promise<unknown>, message: RegExp) =>
  assert.rejects(promise, (err: unknown) => err instanceof CliError && message.test(err.message));


test('Ctrl-C during training saves a checkpoint at the step reached, exits 130 saying how to resume, and --resume continues from it', async () => {
  const { dir, catalog, model } = fixture();
  const out = join(dir, 'run');
  const args = ['--stage', 'memorization', '--model', model, '--catalog', catalog, '--out', out, '--epochs', '300', '--batch-size', '3', '--checkpoint-every', '0'];
  // No periodic checkpoints: only the interruption can write one.
  const savedStep = await interruptTraining(args, out);
  assert.ok(savedStep >= 3 && savedStep < 600, `saved at step ${savedStep}`);

  const resumed = await capture(train, ...args, '--resume');
  assert.equal(resumed.code, 0);
  assert.deepEqual(loggedSteps(out), Array.from({ length: 600 }, (_, i) => i + 1), 'every step once: the steps before the interruption, then the rest');
});

test('train memorization writes a run whose final/ loads with its tool index, and retrieve ranks its tools', async () => {
  const { dir, catalog, model } = fixture();
  const out = join(dir, 'run');
  const trained = await capture(train, '--stage', 'memorization', '--model', model, '--catalog', catalog, '--out', out, '--epochs', '10', '--lr', '1e-2', '--batch-size', '3', '--checkpoint-every', '0', '--average-decay', '0.5', '--weight-decay', '0.01', '--label-smoothing', '0.05');
  assert.equal(trained.code, 0);
  assert.equal(trained.stdout.trim(), join(out, 'final'));
  assert.match(trained.stderr, /memorization: 20 steps in/);

  const final = join(out, 'final');
  await rejectsWith(
    capture(train, '--stage', 'memorization', '--model', model, '--catalog', catalog, '--out', out),
    /already holds a run \(config\.json exists\); pass --resume to continue it or choose another --out/,
  );
  await rejectsWith(
    capture(train, '--stage', 'memorization', '--model', model, '--catalog', catalog, '--out', out, '--resume', '--epochs', '3'),
    /--resume: .* was started with different options/,
  );
  const index = ToolIndex.load(join(final, 'tool-index.json'));
  assert.deepEqual(index.toolIds(), tools.map((t) => t.id));
  const loaded = await loadModel(final);
  assert.equal(loaded.tokenizer.encode(index.toolToText(tools[0]!.id)).length, 1);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { stage: string; index: string; sft: { epochs: number } };
  assert.deepEqual([config.stage, config.index, config.sft.epochs], ['memorization', 'atomic', 10]);
  const trainLines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(trainLines.length, 20);
  const losses = trainLines.map((l) => (JSON.parse(l) as { loss: number }).loss);
  assert.ok(losses[19]! < losses[0]! / 2, `loss ${losses[0]} -> ${losses[19]}`);

  const ranked = await capture(retrieve, '--model', final, '--query', toolDocument(tools[2]!), '--k', '3');
  const rows = ranked.stdout.trim().split('\n').slice(2).map((line) => line.split(/\s+/));
  assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3']);
  assert.equal(new Set(rows.map((r) => r[1])).size, 3);
  for (const r of rows) assert.ok(tools.some((t) => t.id === r[1]), `${r[1]} is not a catalog tool`);
  const scores = rows.map((r) => Number(r[2]));
  assert.ok(scores[0]! >= scores[1]! && scores[1]! >= scores[2]! && scores[0]! < 0);

  assert.deepEqual(JSON.parse(readFileSync(join(final, 'catalog.json'), 'utf8')), { version: 1, tools });

  // The retrieval stage continues from final/: the saved index and its tool tokens are reused, not added again.
  const queries = join(dir, 'queries.jsonl');
  writeFileSync(queries, tools.map((t, i) => JSON.stringify({ id: `q${i}`, query: `please ${t.description}`, relevant: [t.id] })).join('\n') + '\n');
  const second = await capture(train, '--stage', 'retrieval', '--model', final, '--catalog', catalog, '--data', queries, '--out', join(dir, 'run2'), '--epochs', '2', '--batch-size', '2', '--val-fraction', '0.34');
  assert.equal(second.code, 0);
  assert.match(second.stderr, /retrieval: 4 training and 2 validation examples/);
  const validations = readFileSync(join(dir, 'run2', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.split === 'validation');
  assert.equal(validations.length, 1);
  assert.ok([0, 0.5, 1].includes(validations[0]!.val_top1 as number) && typeof validations[0]!.val_loss === 'number');
  assert.ok((validations[0]!.val_mrr as number) >= (validations[0]!.val_top1 as number));
  const reloaded = await loadModel(join(dir, 'run2', 'final'));
  assert.equal(reloaded.tokenizer.vocabSize, loaded.tokenizer.vocabSize);
  assert.deepEqual(ToolIndex.load(join(dir, 'run2', 'final', 'tool-index.json')).toJSON(), index.toJSON());
  // Distillation: the two trained models teach a third run; a teacher that is no ToolGen model is refused.
  const distilled = await capture(train, '--stage', 'retrieval', '--model', final, '--catalog', catalog, '--data', queries, '--out', join(dir, 'run4'),
    '--epochs', '2', '--batch-size', '2', '--teacher', final, '--teacher', join(dir, 'run2', 'final'), '--distill-weight', '0.7', '--distill-temperature', '2');
  assert.equal(distilled.code, 0);
  assert.match(distilled.stderr, /distillation: 2 teacher\(s\) read 6 queries/);
  const distilledConfig = JSON.parse(readFileSync(join(dir, 'run4', 'config.json'), 'utf8')) as { distillation: { teachers: string[]; weight: number; temperature: number } };
  assert.deepEqual(distilledConfig.distillation, { teachers: [final, join(dir, 'run2', 'final')], weight: 0.7, temperature: 2 });
  await rejectsWith(
    capture(train, '--stage', 'retrieval', '--model', final, '--catalog', catalog, '--data', queries, '--out', join(dir, 'run5'), '--teacher', model),
    /--teacher .*base: no tool-index\.json; a teacher is a trained ToolGen model/,
  );
  await rejectsWith(
    capture(train, '--stage', 'retrieval', '--model', final, '--catalog', catalog, '--data', queries, '--out', join(dir, 'run3'), '--index', 'semantic'),
    /tool-index\.json uses the atomic scheme, not semantic/,
  );

  const category = tools[0]!.category!;
  const inDomain = await capture(retrieve, '--model', final, '--query', 'anything', '--k', '10', '--domain', category, '--catalog', catalog);
  const domainIds = inDomain.stdout.trim().split('\n').slice(2).map((line) => line.split(/\s+/)[1]);
  assert.deepEqual(domainIds.sort(), tools.filter((t) => t.category === category).map((t) => t.id).sort());
  const savedCatalog = await capture(retrieve, '--model', final, '--query', 'anything', '--k', '10', '--domain', category);
  assert.equal(savedCatalog.stdout, inDomain.stdout, 'without --catalog, --domain reads the catalog saved with the model');
  // At weight 1 the lexical prior ranks by BM25 over the saved catalog: a tool's own description finds it first.
  const lexical = await capture(retrieve, '--model', final, '--query', tools[4]!.description, '--k', '3', '--lexical-prior', '1');
  assert.match(lexical.stdout, /log-prob mixed with BM25/);
  assert.equal(lexical.stdout.trim().split('\n')[2]!.split(/\s+/)[1], Bm25Index.fromTools(tools).rank(tools[4]!.description, 1)[0]!.id);
});

test('train toolgen --recipe distilled trains three teachers and a distilled student from scratch, and the student retrieves', async () => {
  const { dir, catalog } = fixture();
  const queries = join(dir, 'queries.jsonl');
  const lines = tools.flatMap((t, i) => [`please ${t.description}`, `I need to ${t.name.replace(/_/g, ' ')}`].map((query, j) => JSON.stringify({ id: `q${i}-${j}`, query, relevant: [t.id] })));
  writeFileSync(queries, lines.join('\n') + '\n');
  const out = join(dir, 'recipe');
  const trained = await capture(train, 'toolgen', '--recipe', 'distilled', '--catalog', catalog, '--data', queries, '--out', out, '--minutes', '0.5');
  assert.equal(trained.code, 0);
  const final = join(out, 'model', 'retrieval', 'final');
  assert.equal(trained.stdout.trim(), final);
  assert.match(trained.stderr, /\[distilled\] 6 tools, 12 training queries; 3 teachers, then the student/);
  assert.match(trained.stderr, /student: 3 teachers read 12 training queries/);
  for (const teacher of ['teacher-1', 'teacher-2', 'teacher-3']) assert.ok(existsSync(join(out, teacher, 'retrieval', 'final', 'tool-index.json')), teacher);
  const summary = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')) as { teachers: number; retrievalSteps: number };
  assert.equal(summary.teachers, 3);
  assert.ok(summary.retrievalSteps > 0);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { recipe: string; minutes: number; settings: { distillation: { teachers: number } } };
  assert.deepEqual([config.recipe, config.minutes, config.settings.distillation.teachers], ['distilled', 0.5, 3]);

  const ranked = await capture(retrieve, '--model', final, '--query', `please ${tools[1]!.description}`, '--k', '3');
  const ids = ranked.stdout.trim().split('\n').slice(2).map((line) => line.split(/\s+/)[1]);
  assert.equal(ids.length, 3);
  for (const id of ids) assert.ok(tools.some((t) => t.id === id), `${id} is not a catalog tool`);
});

test('train refuses bad flags, files and runs with one clear message', async () => {
  const { dir, catalog, model } = fixture();
  const badCatalog = join(dir, 'bad.json');
  writeFileSync(badCatalog, '{"version": 1, "tools": 3}');
  const base = ['--model', model, '--catalog', catalog, '--out', join(dir, 'r')];
  await rejectsWith(capture(train, '--stage', 'pretraining', ...base), /--stage must be one of memorization, retrieval, agent, got 'pretraining'/);
  await rejectsWith(capture(train, '--stage', 'retrieval', ...base), /--stage retrieval needs --data/);
  await rejectsWith(capture(train, '--stage', 'memorization', ...base, '--epochs', '0'), /--epochs must be > 0, got 0/);
  await rejectsWith(capture(train, '--stage', 'memorization', ...base, '--lr', 'fast'), /--lr must be a number, got 'fast'/);
  await rejectsWith(capture(train, '--stage', 'memorization', ...base, '--average-decay', '1'), /--average-decay must be in \[0, 1\), got 1/);
  await rejectsWith(capture(train, '--stage', 'memorization', ...base, '--weight-decay', '-0.1'), /--weight-decay must be >= 0, got -0.1/);
  await rejectsWith(capture(train, '--stage', 'memorization', '--model', model, '--catalog', join(dir, 'none.json'), '--out', join(dir, 'r')), /catalog .*none\.json does not exist/);
  await rejectsWith(capture(train, '--stage', 'memorization', '--model', model, '--catalog', badCatalog, '--out', join(dir, 'r')), /"tools" must be an array/);
  await rejectsWith(capture(train, '--stage', 'retrieval', ...base, '--data', join(dir, 'missing.jsonl')), /missing\.jsonl: file not found/);
  await rejectsWith(capture(train, '--stage', 'memorization', '--catalog', catalog, '--out', join(dir, 'r')), /--stage needs --model/);
  await rejectsWith(capture(train, '--catalog', catalog, '--out', join(dir, 'r')), /give --stage .*, or --recipe/);
  await rejectsWith(capture(train, 'sgd', '--catalog', catalog), /unknown training method 'sgd' \(known: toolgen, toolkengpt/);
  await rejectsWith(capture(train, '--recipe', 'distilled', ...base, '--data', join(dir, 'q.jsonl')), /--recipe trains from scratch .*: drop --model/);
  await rejectsWith(capture(train, '--recipe', 'single', '--catalog', catalog, '--out', join(dir, 'r')), /--recipe needs --data/);
  await rejectsWith(capture(train, '--recipe', 'single', '--catalog', catalog, '--out', join(dir, 'r'), '--data', join(dir, 'q.jsonl'), '--resume'), /cannot be resumed/);
  await rejectsWith(capture(train, '--stage', 'memorization', ...base, '--teacher', model), /--teacher distils the retrieval stage, not --stage memorization/);
  const withData = [...base, '--data', join(dir, 'q.jsonl'), '--teacher', model];
  await rejectsWith(capture(train, '--stage', 'retrieval', ...withData, '--distill-weight', '1'), /--distill-weight must be in \(0, 1\), got 1/);
  await rejectsWith(capture(train, '--stage', 'retrieval', ...withData, '--label-smoothing', '0.1'), /--teacher replaces --label-smoothing/);
  assert.equal(existsSync(join(dir, 'r', 'config.json')), false);
});

test('retrieve refuses a model without a tool index, a domain without any catalog and an unknown domain', async () => {
  const { dir, catalog, model } = fixture();
  await rejectsWith(capture(retrieve, '--model', model, '--query', 'x'), /no tool-index\.json, so it is not a trained ToolGen model; train one with `toolken train`/);
  await rejectsWith(capture(retrieve, '--model', model, '--query', 'x', '--domain', 'math'), /--model .* has no catalog saved with it \(.*catalog\.json\); pass --catalog <catalog\.json>$/);
  await rejectsWith(capture(retrieve, '--model', model, '--query', 'x', '--domain', 'astrology', '--catalog', catalog), /--domain 'astrology' has no tools in .* \(domains: /);
  await rejectsWith(capture(retrieve, '--model', join(dir, 'nowhere'), '--query', 'x'), /--model .*nowhere: no such directory/);
  await rejectsWith(capture(retrieve, '--model', model, '--query', 'x', '--k', '0'), /--k must be at least 1, got 0/);
});

test('train agent rewrites ToolBench answers with tool tokens, indexing a Finish action beside the catalog', async () => {
  const { dir, model } = fixture();
  const weather: Tool = {
    id: 'Weather&&forecast', name: 'forecast', description: 'Daily forecast', category: 'Weather',
    parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
  };
  const catalog = join(dir, 'weather.json');
  saveCatalog(catalog, { version: 1, tools: [weather] });
  const answers = join(dir, 'answers');
  mkdirSync(answers);
  const functions = [
    { name: 'forecast_for_weather', description: 'The description of this function is: "Daily forecast"', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    { name: 'Finish', description: 'finish', parameters: { type: 'object', properties: {} } },
  ];
  const chain = [
    { role: 'system', content: 'You have access of the following tools: weather' },
    { role: 'user', content: '\nWill it rain in Oslo?\nBegin!\n' },
    { role: 'assistant', content: 'I should call forecast_for_weather.', function_call: { name: 'forecast_for_weather', arguments: '{"city": "Oslo"}' } },
    { role: 'function', name: 'forecast_for_weather', content: '{"rain": true}' },
    { role: 'assistant', content: null, function_call: { name: 'Finish', arguments: '{"return_type": "give_answer", "final_answer": "Yes"}' } },
  ];
  for (const name of ['a.json', 'b.json']) {
    writeFileSync(join(answers, name), JSON.stringify({ answer_generation: { valid_data: true, finish_type: 'give_answer', query: 'q', function: functions, train_messages: [chain] } }));
  }
  const out = join(dir, 'agent');
  const r = await capture(train, '--stage', 'agent', '--model', model, '--catalog', catalog, '--data', answers, '--out', out, '--val-fraction', '0', '--max-steps', '2', '--batch-size', '1');
  assert.equal(r.code, 0);
  assert.match(r.stderr, /agent: 2 training and 0 validation examples/);
  const index = ToolIndex.load(join(out, 'final', 'tool-index.json'));
  assert.deepEqual(index.toolIds(), ['Weather&&forecast', 'Finish']);
  assert.equal(index.toolToText('Finish'), '<<Finish>>');
});

test('train with --lora-rank merges the adapters, so final/ is a plain model that differs from the base', async () => {
  const { dir, catalog, model } = fixture();
  const out = join(dir, 'lora');
  const r = await capture(train, '--stage', 'memorization', '--model', model, '--catalog', catalog, '--out', out, '--lora-rank', '4', '--max-steps', '3', '--lr', '1e-2', '--batch-size', '2');
  assert.equal(r.code, 0);
  assert.match(r.stderr, /memorization: 3 steps in/);
  const base = await loadModel(model);
  const tuned = await loadModel(join(out, 'final'));
  const weight = (m: typeof base, name: string): Float32Array => m.model.tensors().find((t) => t.name === name)!.data;
  const q = 'model.layers.0.self_attn.q_proj.weight';
  assert.notDeepEqual(weight(tuned, q), weight(base, q));
  assert.deepEqual(weight(tuned, 'model.norm.weight'), weight(base, 'model.norm.weight'));
});

test('a train that cannot start (a missing model) leaves no run directory, so the retry simply runs', async () => {
  const { dir, catalog, model } = fixture();
  const out = join(dir, 'run');
  await assert.rejects(capture(train, '--stage', 'memorization', '--model', join(dir, 'no-such-model'), '--catalog', catalog, '--out', out, '--epochs', '1'));
  assert.equal(existsSync(out), false, 'the failed start created the run directory');
  const retry = await capture(train, '--stage', 'memorization', '--model', model, '--catalog', catalog, '--out', out, '--epochs', '1', '--max-steps', '1');
  assert.ok(existsSync(join(retry.stdout.trim(), 'tool-index.json')));
});

test('a train that fails once training starts (no example survives) leaves no run directory either, so the fixed retry runs', async () => {
  const { dir, catalog, model } = fixture();
  const out = join(dir, 'run');
  const queries = join(dir, 'one-query.jsonl');
  writeFileSync(queries, JSON.stringify({ query: `please ${tools[0]!.description}`, relevant: [tools[0]!.id] }) + '\n');
  // The only query goes to validation, so nothing is left to train on: found only after the run directory opened.
  const stage = ['--stage', 'retrieval', '--model', model, '--catalog', catalog, '--data', queries, '--out', out, '--max-steps', '1'];
  await rejectsWith(capture(train, ...stage, '--val-fraction', '0.5'), /--stage retrieval: .*no training example/);
  assert.equal(existsSync(out), false, 'the failed run left its run directory');
  const retry = await capture(train, ...stage, '--val-fraction', '0');
  assert.equal(retry.code, 0);
  assert.ok(existsSync(join(out, 'metrics.jsonl')));
});
