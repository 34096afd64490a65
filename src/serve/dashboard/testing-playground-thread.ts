/** For tests: a worker thread hosting tinyPlayground (testing-playground.ts). */
import { hostPlayground } from './playground-worker.js';
import { tinyPlayground } from './testing-playground.js';

hostPlayground(async () => ({ playground: await tinyPlayground(), warnings: ['a tiny untrained model'], close: async () => {} }));
