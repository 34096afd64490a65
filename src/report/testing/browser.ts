/** Where a headless-capable Chromium is installed (Debian's `chromium`, or `chromium-browser`), for the tests that render pages in it. */
import { execFileSync } from 'node:child_process';

export function chromiumPath(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (path !== '') return path;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}
