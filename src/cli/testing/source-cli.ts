/**
 * For tests that run the CLI as a real process: Node arguments that run `main` from source through tsx, since
 * bin/toolken.js runs the compiled dist/, which a worktree may not have built. Spawn `process.execPath` with
 * `[...SOURCE_CLI, ...argv]`.
 */
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));

export const SOURCE_CLI: readonly string[] = [
  '--import', 'tsx', '--input-type=module', '--eval', `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(process.argv.slice(1));`, '--',
];
