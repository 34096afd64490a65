import { toolsByDomain } from '../../eval/retrieval/evaluate.js';
import { GenerativeRetriever } from '../../retrieval/generative.js';
import { DEFAULT_PRIOR_SHARPNESS, LexicalPrior } from '../../retrieval/lexical-prior.js';
import { formatTable } from '../../report/html.js';
import { CliCommand, CliError, commandFlags } from '../args.js';
import { modelCatalogPath, readCatalogFlag, readToolGenModelFlag } from './toolgen-inputs.js';

const flags = {
  model: { kind: 'string', required: true, help: 'a ToolGen model directory (with tool-index.json), e.g. a run\'s final/' },
  query: { kind: 'string', required: true, help: 'the request to find tools for' },
  k: { kind: 'int', default: 5, min: 1, help: 'tools to list' },
  domain: { kind: 'string', help: 'only tools of this category (of the catalog\'s categories)' },
  catalog: { kind: 'string', help: 'with --domain: catalog.json giving the tools\' categories (default: the catalog saved with the model, <model>/catalog.json)' },
  beamWidth: { kind: 'int', help: 'beams of the constrained search (default: k)' },
  scoring: { kind: 'string', choices: ['sum', 'mean'], default: 'sum', help: 'rank by log-probability or by log-probability per token' },
  lexicalPrior: {
    kind: 'number', min: 0, max: 1,
    help: `mix BM25 over the catalog's documents into the search with this weight (about 0.05 when the model learnt every tool from queries, 0.99 when most tools were never named by one): reaches tools no training query named`,
  },
  priorSharpness: { kind: 'number', min: 0, default: DEFAULT_PRIOR_SHARPNESS, help: 'with --lexical-prior: how strongly the best-matching document stands out (e^sharpness)' },
} as const;

const summary = 'Rank the tools a ToolGen model would call for a query (trie-constrained beam search)';

export const command: CliCommand = {
  summary,
  async run(argv) {
    const f = commandFlags(argv, 'retrieve', summary + '.', flags);
    if (f === null) return 0;
    if (f.beamWidth !== undefined && f.beamWidth < f.k) throw new CliError(`--beam-width must be at least --k (${f.k}), got ${f.beamWidth}`);
    if (f.query.trim() === '') throw new CliError('--query is empty');

    // The catalog is read (and checked) before the model loads, when the domain or the prior needs it.
    const catalogPath = f.domain !== undefined || f.lexicalPrior !== undefined ? modelCatalogPath(f.model, f.catalog) : undefined;
    const tools = catalogPath === undefined ? undefined : readCatalogFlag(catalogPath);
    let candidates: Set<string> | undefined;
    if (f.domain !== undefined) {
      const domains = toolsByDomain(tools!);
      candidates = domains.get(f.domain);
      if (candidates === undefined) {
        const known = [...domains.keys()].sort();
        throw new CliError(`--domain '${f.domain}' has no tools in ${catalogPath} (domains: ${known.length > 0 ? known.join(', ') : 'none, the catalog has no categories'})`);
      }
    }
    const loaded = await readToolGenModelFlag(f.model);
    const retriever = new GenerativeRetriever(
      { model: loaded.model, tokenizer: loaded.tokenizer, index: loaded.index },
      {
        scoring: f.scoring as 'sum' | 'mean',
        ...(f.beamWidth !== undefined ? { beamWidth: f.beamWidth } : {}),
        ...(f.lexicalPrior !== undefined ? { lexicalPrior: LexicalPrior.fromTools(tools!, { weight: f.lexicalPrior, sharpness: f.priorSharpness }) } : {}),
      },
    );
    const ranked = retriever.rank(f.query, f.k, candidates);
    if (candidates !== undefined && ranked.length === 0) throw new CliError(`--domain '${f.domain}': none of its tools is in the model's tool index`);
    const modelScore = f.scoring === 'mean' ? 'log-prob/token' : 'log-prob';
    const score = f.lexicalPrior === undefined ? modelScore : `${modelScore} mixed with BM25`;
    process.stdout.write(formatTable(['rank', 'tool', score], ranked.map((r, i) => [i + 1, r.toolId, r.score])) + '\n');
    return 0;
  },
};
