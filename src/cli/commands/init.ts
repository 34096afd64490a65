import { readCatalogFlag, readQueriesFlag, requireNewFolder } from './toolgen-inputs.js';
import { SCRATCH_BASE_SIZE, scratchBase, scratchTokenizerTexts } from '../../methods/toolgen/scratch-base.js';
import { saveModel } from '../../models/save.js';
import { CliCommand, CliError, helpText, parseFlags, wantsHelp } from '../args.js';

const flags = {
  catalog: { kind: 'string', required: true, help: 'catalog.json whose tool documents the tokenizer learns (toolken tools import writes one)' },
  queries: { kind: 'string', help: 'training queries (JSON lines, docs/data-format.md): their words and argument values join the tokenizer\'s text' },
  out: { kind: 'string', required: true, help: 'model directory to create (must not exist or be empty)' },
  vocabSize: { kind: 'int', default: SCRATCH_BASE_SIZE.vocabSize, help: 'BPE vocabulary size (tool tokens are added by the first training stage)' },
  dim: { kind: 'int', default: SCRATCH_BASE_SIZE.dim, help: 'hidden size' },
  layers: { kind: 'int', default: SCRATCH_BASE_SIZE.layers, help: 'decoder layers' },
  heads: { kind: 'int', default: SCRATCH_BASE_SIZE.heads, help: 'attention heads (must divide --dim)' },
  kvHeads: { kind: 'int', default: SCRATCH_BASE_SIZE.kvHeads, help: 'key/value heads (must divide --heads)' },
  hiddenDim: { kind: 'int', default: SCRATCH_BASE_SIZE.hiddenDim, help: 'MLP hidden size' },
  maxPositions: { kind: 'int', default: SCRATCH_BASE_SIZE.maxPositions, help: 'context length' },
  seed: { kind: 'int', default: 0, help: 'seed of the initial weights' },
} as const;

const summary =
  'Create a small model from scratch for a catalog (a BPE tokenizer trained on its tools and queries, random weights) ' +
  'as a normal model directory, the start of the ToolGen recipe when no pretrained model is at hand';

export const command: CliCommand = {
  summary,
  async run(argv) {
    if (wantsHelp(argv)) {
      const next = [
        '',
        'then, for example:',
        '  toolken train --stage memorization --model DIR --catalog C --out runs/mem --epochs 20',
        '  toolken train --stage retrieval --model runs/mem/final --catalog C --data Q --out runs/ret --epochs 20',
        '  toolken retrieve --model runs/ret/final --query "..."',
      ];
      process.stdout.write(helpText('init', summary + '.', flags) + '\n' + next.join('\n') + '\n');
      return 0;
    }
    const f = parseFlags(argv, flags);
    if (f._.length > 0) throw new CliError(`unexpected argument '${f._[0]}'`);
    const positive = { vocabSize: f.vocabSize, dim: f.dim, layers: f.layers, heads: f.heads, kvHeads: f.kvHeads, hiddenDim: f.hiddenDim, maxPositions: f.maxPositions };
    for (const [name, value] of Object.entries(positive)) {
      if (value < 1) throw new CliError(`--${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be at least 1, got ${value}`);
    }
    if (f.vocabSize < 300) throw new CliError(`--vocab-size must be at least 300 (256 bytes, the special tokens and some merges), got ${f.vocabSize}`);
    if (f.dim % f.heads !== 0) throw new CliError(`--heads (${f.heads}) must divide --dim (${f.dim})`);
    if ((f.dim / f.heads) % 2 !== 0) throw new CliError(`--dim / --heads (${f.dim / f.heads}) must be even for rotary position embeddings`);
    if (f.heads % f.kvHeads !== 0) throw new CliError(`--kv-heads (${f.kvHeads}) must divide --heads (${f.heads})`);
    requireNewFolder(f.out);

    const tools = readCatalogFlag(f.catalog);
    const queries = f.queries === undefined ? [] : readQueriesFlag('--queries', f.queries, tools);
    const size = { ...positive, seed: f.seed, projectionStd: 1 / Math.sqrt(f.dim) };
    process.stderr.write(`training a ${f.vocabSize}-token BPE tokenizer on ${tools.length} tools${queries.length > 0 ? ` and ${queries.length} queries` : ''}...\n`);
    const { model, tokenizer } = scratchBase(scratchTokenizerTexts(tools, queries), size);
    saveModel(model, tokenizer, f.out);
    const parameters = model.parameters().reduce((sum, p) => sum + p.size, 0);
    process.stdout.write(
      `${f.out}: a ${f.layers}-layer, ${f.dim}-wide model (${(parameters / 1e6).toFixed(2)}M parameters, random weights) ` +
        `with a ${tokenizer.vocabSize}-token tokenizer\n` +
        `next: toolken train --stage memorization --model ${f.out} --catalog ${f.catalog} --out <run dir>\n`,
    );
    return 0;
  },
};
