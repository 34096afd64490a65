// Worker threads do not run the parent's `--import tsx` before resolving their entry, so this plain-JS entry
// registers tsx and then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
