import { DEMO_ABLATIONS, nextCommands, retrievalTable, runDemo, type DemoAblation } from '../../demo/demo.js';
import { INDEX_SCHEMES, type IndexScheme } from '../../indexing/schemes.js';
import type { MatmulPrecision } from '../../tensor/backend.js';
import { type CliCommand, commandFlags } from '../args.js';

const summary = 'Run ToolGen end to end on the built-in catalog: train from scratch, evaluate against BM25 and a dense retriever, answer requests, write a report.';
const flags = {
  out: { kind: 'string', help: 'output directory (model, runs, report.json, report.html)', default: './toolken-demo' },
  seed: { kind: 'int', help: 'seed for data, tokenizer and model (the run is deterministic for a seed)', default: 0 },
  quick: { kind: 'boolean', help: 'a much shorter run with a tiny model (a smoke test, not for the numbers)' },
  precision: { kind: 'string', choices: ['fp32', 'bf16'], default: 'fp32', help: 'matmul precision of the training stages (bf16: mixed precision, fp32 weights)' },
  scheme: { kind: 'string', choices: INDEX_SCHEMES, default: 'atomic', help: 'how tools are indexed: one token per tool (atomic), or the semantic, numeric or hierarchical texts' },
  ablation: { kind: 'string', choices: DEMO_ABLATIONS, help: 'leave out a training stage (ToolGen Table 7): no-memorization or no-retrieval-training' },
} as const;

export const command: CliCommand = {
  summary,
  async run(argv) {
    const f = commandFlags(argv, 'demo', summary, flags);
    if (f === null) return 0;
    const { outDir, report, example } = await runDemo({
      out: f.out, seed: f.seed, quick: f.quick, precision: f.precision as MatmulPrecision, scheme: f.scheme as IndexScheme,
      ...(f.ablation !== undefined ? { ablation: f.ablation as DemoAblation } : {}),
    });
    // Results go to stdout (progress went to stderr): the retrieval table, the report, and what to try next.
    process.stdout.write(`${retrievalTable(report)}\n\nreport: ${outDir}/report.html\n\nTry next:\n${nextCommands(outDir, example).map((c) => `  ${c}`).join('\n')}\n`);
    return 0;
  },
};
