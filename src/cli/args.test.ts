import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError, closestName, editDistance, parseFlags, subcommand } from './args.js';

const specs = {
  maxTokens: { kind: 'int', help: 'n', default: 8, min: 1 },
  topP: { kind: 'number', help: 'p', default: 1, min: 0, minExclusive: true, max: 1 },
  stage: { kind: 'string', help: 's', choices: ['memorization', 'retrieval', 'agent'] },
  baselines: { kind: 'list', help: 'b', choices: ['bm25', 'dense'], default: [] },
  verbose: { kind: 'boolean', help: 'v' },
} as const;

const parseError = (argv: string[]): string => {
  try {
    parseFlags(argv, specs);
  } catch (err) {
    assert.ok(err instanceof CliError, String(err));
    assert.equal(err.exitCode, 2, 'usage errors exit 2');
    return err.message;
  }
  assert.fail(`${argv.join(' ')} parsed`);
};

test('editDistance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('generat', 'generate'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('same', 'same'), 0);
});

test('closestName suggests only names close to what was typed', () => {
  assert.equal(closestName('memorisation', ['memorization', 'retrieval']), 'memorization');
  assert.equal(closestName('improt', ['import', 'stats']), 'import');
  assert.equal(closestName('leaderboard', ['bfcl', 'retrieval', 'agent']), undefined);
  assert.equal(closestName('x', ['eval', 'demo']), undefined);
});

test('a misspelt flag names the flag as typed and the closest known one', () => {
  assert.match(parseError(['--max-tokns', '3']), /^unknown option '--max-tokns'; did you mean '--max-tokens'\? \(known: --max-tokens, --top-p, --stage, --baselines, --verbose\)$/);
  assert.match(parseError(['--colour']), /^unknown option '--colour' \(known: /);
});

test('flags are spelled in kebab case only: the camelCase of a flag is an unknown option that suggests the kebab spelling', () => {
  assert.match(parseError(['--topP', '0.5']), /^unknown option '--topP'; did you mean '--top-p'\?/);
  assert.match(parseError(['--no-Verbose']), /^unknown option '--no-Verbose'/);
  assert.equal(parseFlags(['--top-p', '0.5'], specs).topP, 0.5);
});

test('a misspelt choice (a stage, a baseline) suggests the closest allowed value', () => {
  assert.equal(parseError(['--stage', 'retreival']), "--stage must be one of memorization, retrieval, agent, got 'retreival'; did you mean 'retrieval'?");
  assert.equal(parseError(['--baselines', 'bm25,dens']), "--baselines: 'dens' is not one of bm25, dense; did you mean 'dense'?");
});

test('number bounds are checked while parsing and name the flag in kebab case', () => {
  assert.equal(parseError(['--top-p', '3']), '--top-p must be in (0, 1], got 3');
  assert.equal(parseError(['--top-p=0']), '--top-p must be in (0, 1], got 0');
  assert.equal(parseError(['--max-tokens', '0']), '--max-tokens must be at least 1, got 0');
  assert.equal(parseFlags(['--top-p', '1', '--max-tokens', '1'], specs).topP, 1);
});

test('subcommand finds a sub-command or names the misspelling and the closest one', () => {
  const table = { import: 1, stats: 2 };
  assert.equal(subcommand(table, 'stats', 'sub-command'), 2);
  assert.throws(() => subcommand(table, 'improt', 'sub-command'), new CliError("unknown sub-command 'improt'; did you mean 'import'? (known: import, stats)"));
  assert.throws(() => subcommand(table, 'toString', 'sub-command'), /unknown sub-command 'toString'/);
});
