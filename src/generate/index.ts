/** Generation: the KV-cached loop over any session factory, sampling, stop strings, text in / text out. */
export { generate, generateAsync } from './generate.js';
export type { DecoderSession, ForkableSession, SessionFactory, LogitsHook, FinishReason, GenerateOptions, AsyncGenerateOptions, GenerationResult } from './generate.js';
export { Sampler, argmax, applyRepetitionPenalty } from './sampling.js';
export type { SamplingOptions } from './sampling.js';
export { StopStringMatcher, TextStream } from './stop.js';
export type { TokenDecoder } from './stop.js';
export { generateText, streamText, endOfSequenceIds } from './text.js';
export type { TextModel, TextGenerationOptions, StreamTextOptions } from './text.js';
export { ModelBeamSession } from './beam-session.js';
export type { BeamState, BeamSessionOptions } from './beam-session.js';
