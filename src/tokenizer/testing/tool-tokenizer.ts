/**
 * For export checks (tests and bench/llamacpp-check.ts): a trained byte-level BPE rebuilt from its GGUF
 * vocabulary with a chosen pre-tokenizer (GPT-2, Qwen2 or Llama-3 splitting), its first three tokens as special
 * added tokens (the chat specials it was trained with), then `toolTokens` added as ordinary added tokens.
 */
import { ByteLevelBpeTokenizer } from '../byte-level-bpe.js';

export function withPretokenizer(
  trained: ByteLevelBpeTokenizer, pretokenizer: 'gpt2' | 'qwen2' | 'llama-bpe', toolTokens: readonly string[],
): ByteLevelBpeTokenizer {
  const vocab = trained.ggufVocabulary();
  const tokenizer = new ByteLevelBpeTokenizer({
    tokens: vocab.tokens,
    merges: vocab.model === 'gpt2' ? vocab.merges.map((m) => m.split(' ') as [string, string]) : [],
    pretokenizer,
    ignoreMerges: pretokenizer === 'llama-bpe',
    addedTokens: [0, 1, 2].map((id) => ({ id, content: vocab.tokens[id]!, special: true })),
    bosId: trained.bosId,
    eosId: trained.eosId,
    chatTemplate: trained.chatTemplate,
  });
  tokenizer.addTokens(toolTokens);
  return tokenizer;
}
