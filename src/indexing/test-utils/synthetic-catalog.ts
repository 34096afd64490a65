import type { Tool } from '../../tools/types.js';
import { seededRandom } from '../../util/random.js';

const DOMAINS = ['weather', 'finance', 'sports', 'music', 'travel', 'food', 'news', 'maps', 'movies', 'health', 'jobs', 'crypto'];
const VERBS = ['get', 'search', 'list', 'create', 'update', 'delete', 'find', 'fetch', 'lookup', 'convert'];
const NOUNS = ['forecast', 'price', 'score', 'track', 'flight', 'recipe', 'article', 'route', 'review', 'symptom', 'salary', 'rate', 'team', 'album', 'hotel', 'menu'];

/**
 * A seeded catalog of `count` ToolBench-style tools (`group&&api` ids) for tests and benches. Names repeat across
 * groups on purpose, so semantic indexing has collisions to resolve.
 */
export function syntheticCatalog(count: number, seed = 7): Tool[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return Array.from({ length: count }, (_, i): Tool => {
    const domain = pick(DOMAINS);
    const group = `${domain}_${pick(NOUNS)}_${Math.floor(i / 5)}`;
    const name = `${pick(VERBS)}_${pick(NOUNS)}`;
    return {
      id: `${group}&&${name}_${i % 5}`,
      name,
      description: `${name.replace('_', 's ')} for ${domain} using ${group}; ${pick(NOUNS)} ${pick(NOUNS)} ${pick(VERBS)}`,
      parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
      category: domain,
      group: { name: group },
    };
  });
}
