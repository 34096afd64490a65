/** The run folders a dashboard is given (`toolken dashboard RUN_DIR...`, `toolken serve --runs`), checked before it starts. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from '../args.js';

/** Refuses a path that does not exist or is a file, naming it as the user wrote it (`what`: `RUN_DIR` or `--runs`). */
export function checkRunFolders(dirs: readonly string[], what: string): void {
  for (const dir of dirs) {
    let folder: boolean;
    try {
      folder = statSync(dir).isDirectory();
    } catch {
      throw new CliError(`${what} ${dir} does not exist; give a run directory or a folder holding run directories`);
    }
    if (!folder) throw new CliError(`${what} ${dir} is a file; give the run directory that holds it (${resolve(dir, '..')})`);
  }
}
