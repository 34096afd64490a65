/**
 * For tests and the load benchmark: a random-weight served model built in well under a second — a byte-level BPE
 * learned from a few sentences (ChatML specials, `<|im_end|>` ends a turn) and a one-layer decoder. Its words mean
 * nothing, which is the point: constrained decoding must still return valid calls and schema-valid JSON.
 */
import { scratchModel, trainScratchTokenizer } from '../train/scratch.js';
import { serveModel, type ServedModel } from './served-model.js';

const TEXTS = [
  'What is the weather in Paris today? Call get_weather with the city.',
  'Search the web for the latest news about tool tokens and summarise it.',
  '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}',
  '<tool_call> </tool_call> <tool_response> </tool_response> <tools> </tools>',
  // Calls written with no space after the marker, so some token runs on past it (the decoder must cope).
  '<tool_call>{"name": "search_web"} <tool_call>{"name": "get_weather"}',
];

export function tinyServedModel(name = 'tiny', options: { maxPositions?: number; seed?: number } = {}): ServedModel {
  const tokenizer = trainScratchTokenizer(TEXTS, 360);
  const maxPositions = options.maxPositions ?? 1024;
  const model = scratchModel(tokenizer, { vocabSize: tokenizer.vocabSize, dim: 32, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 64, maxPositions, seed: options.seed ?? 1 });
  return serveModel(name, { model, tokenizer, config: model.config });
}
