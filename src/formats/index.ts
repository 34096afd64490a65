export { elementCount, readAllWeights, type HfModelConfig, type RopeScaling, type WeightReader, type WeightTensor } from './types.js';
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './dtypes.js';
export { CheckpointError } from './errors.js';
export {
  openSafetensors,
  SafetensorsFile,
  ShardedSafetensors,
  writeSafetensors,
  type SafetensorsWriteDtype,
  type SafetensorsWriteOptions,
} from './safetensors.js';
export { GgufFile, writeGguf, type GgufMetadataEntry, type GgufTensorInfo, type GgufValue, type GgufValueType, type GgufWriteOptions } from './gguf.js';
export {
  ggufAsHuggingFace,
  ggufToHfConfig,
  ggufToHfName,
  hfConfigToGgufMetadata,
  hfToGgufName,
  huggingFaceAsGguf,
  permuteForInterleavedRope,
  unpermuteFromInterleavedRope,
} from './llama-mapping.js';
export { Llama2cCheckpoint, type Llama2cHeader } from './llama2c.js';
export { openModel, readHfConfig, saveHfModel, type OpenedModel } from './load.js';
export { defaultHubCacheDir, HUB_BASE_URL, HubError, resolveModelPath, type ResolveModelOptions } from './hub.js';
