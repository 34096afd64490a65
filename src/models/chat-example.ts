/**
 * Supervised chat examples with loss masking by role: the conversation is rendered with the model's chat template
 * and tokenised, and only the assistant turns (their content and end-of-turn marker) carry labels; system, user
 * and tool text is context, labelled IGNORE_INDEX.
 */
import { applyChatTemplate, type ChatMessage, type ChatTool } from '../tokenizer/chat-template.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { IGNORE_INDEX } from './decoder.js';

/** A conversation rendered and tokenised for training: ids and role-masked labels. */
export interface TokenizedChat {
  readonly inputIds: number[];
  /** Aligned with inputIds (the Hugging Face convention: the loss shifts them); IGNORE_INDEX outside assistant turns. */
  readonly labels: number[];
}

export interface ChatExampleOptions {
  /** The Jinja chat template (default: the tokenizer's, else ChatML). */
  readonly template?: string;
  readonly tools?: readonly ChatTool[];
  /** Which assistant messages (by index in `messages`) carry labels; default: all of them. */
  readonly trained?: (index: number) => boolean;
}

/**
 * Builds one training example. The text is split where assistant turns start and end (found by rendering the
 * conversation up to each turn), and each piece is tokenised on its own, so labels follow the turns exactly; the
 * cuts fall on the template's role markers, which are special tokens in chat tokenizers.
 */
export function buildChatTrainingExample(tokenizer: Tokenizer, messages: readonly ChatMessage[], options: ChatExampleOptions = {}): TokenizedChat {
  if (!messages.some((m) => m.role === 'assistant')) throw new Error('a chat training example needs at least one assistant message');
  const template = options.template ?? tokenizer.chatTemplate;
  const token = (id: number | undefined): string => (id === undefined ? '' : (tokenizer.idToToken(id) ?? ''));
  const render = (upTo: number, addGenerationPrompt: boolean): string =>
    applyChatTemplate(template, messages.slice(0, upTo), {
      addGenerationPrompt,
      bosToken: token(tokenizer.bosId),
      eosToken: token(tokenizer.eosId),
      ...(options.tools ? { tools: options.tools } : {}),
    });

  const full = render(messages.length, false);
  // Character spans [start, end) of every assistant turn within the full rendering.
  const spans: [number, number][] = [];
  messages.forEach((m, i) => {
    if (m.role !== 'assistant' || options.trained?.(i) === false) return;
    const before = render(i, true);
    const through = render(i + 1, false);
    if (!full.startsWith(before) || !full.startsWith(through) || through.length < before.length) {
      throw new Error(`the chat template does not render message ${i} (assistant) as an extension of the conversation before it; cannot locate its tokens`);
    }
    spans.push([before.length, through.length]);
  });

  const inputIds: number[] = [];
  const labels: number[] = [];
  const append = (text: string, trained: boolean): void => {
    if (text.length === 0) return;
    const ids = tokenizer.encode(text);
    inputIds.push(...ids);
    labels.push(...(trained ? ids : ids.map(() => IGNORE_INDEX)));
  };
  let cursor = 0;
  for (const [start, end] of spans) {
    append(full.slice(cursor, start), false);
    append(full.slice(start, end), true);
    cursor = end;
  }
  append(full.slice(cursor), false);
  return { inputIds, labels };
}
