/**
 * Ctrl-C during long work: the first SIGINT aborts the work's signal, so training stops at the next step boundary
 * and saves a checkpoint instead of losing everything since the last one; a second SIGINT ends the process at once.
 */
import { CliError } from './args.js';

/** Exit status of a process ended by SIGINT, as shells report it (128 + 2). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Runs `work` with a signal that the first Ctrl-C aborts. The abort reason is a CliError (exit 130) whose message is
 * `interrupted (Ctrl-C): ` followed by `whatNow` (e.g. where the checkpoint is and how to resume).
 */
export async function interruptible<T>(whatNow: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT_CODE);
    process.stderr.write('\ninterrupted: stopping at the next step, with a checkpoint once training has begun (Ctrl-C again to quit now)\n');
    controller.abort(new CliError(`interrupted (Ctrl-C): ${whatNow}`, INTERRUPTED_EXIT_CODE));
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
