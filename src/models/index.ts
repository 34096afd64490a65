/** Decoder models: configuration, the decoder, loading and saving, LoRA, vocabulary expansion, training pieces. */
export { parseHfConfig, toHfConfig, ModelConfigError } from './config.js';
export type { DecoderConfig, DecoderFamily, Llama3RopeScaling } from './config.js';
export { DecoderModel, QuantizedDense, Attention, Mlp, DecoderLayer, WeightMismatchError, decoderWeightShapes, isQuantizable, ropeFrequencies, selfAttentionRows, IGNORE_INDEX, type LoadProgress } from './decoder.js';
export type { AttentionRows, Projection, WeightLoading } from './decoder.js';
export { loadModel, loadModelSpec, loadDecoder, ModelLoadError } from './load.js';
export type { LoadedModel, LoadedDecoder, LoadModelOptions, ModelSource, ModelSpec } from './load.js';
export { saveModel, exportGguf } from './save.js';
export type { SaveModelOptions, ExportGgufOptions } from './save.js';
export { applyLora, mergeLora, saveLoraAdapter, loadLoraAdapter, readLoraConfig, loraUpdates, stackLoraUpdates, saveLoraUpdates, LoraProjection } from './lora.js';
export type { LoraConfig, LoraUpdate } from './lora.js';
export { expandVocabulary, trainNewTokenRows } from './vocabulary.js';
export type { NewToken, VocabularyExpansion } from './vocabulary.js';
export { buildChatTrainingExample } from './chat-example.js';
export type { TokenizedChat, ChatExampleOptions } from './chat-example.js';
