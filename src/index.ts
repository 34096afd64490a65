/**
 * toolken's public API: what a program that imports 'toolken' uses. Each line names a layer; the layers
 * themselves (src/<layer>/index.ts) hold more for those who build on the engine.
 */

// Errors: every error a user can meet is a ToolkenError with a stable `code`.
export { ToolkenError, type ToolkenErrorCode } from './util/errors.js';

// The engine: backends, tensors, autograd.
export { availableBackends, getBackend, setBackend, withBackend, type BackendName, type Backend } from './tensor/index.js';
export { Tensor, tensor, zeros, ones, randn, noGrad, valueAndGrad, tidy, Rng } from './tensor/index.js';
// Quantized matrices (Q8_0 / Q4_0 blocks, as GGUF stores them) for inference with int8 dot products.
export { quantize, dequantize, type QuantizedMatrix, type QuantizeType, type QuantType } from './tensor/index.js';
export { matmulPrecision, withMatmulPrecision, type MatmulPrecision } from './tensor/index.js';

// Checkpoint formats.
export { CheckpointError, HubError, openSafetensors, writeSafetensors } from './formats/index.js';

// Tokenizers.
export { loadTokenizer, applyChatTemplate, trainByteLevelBpe, type Tokenizer, type ChatMessage, type ChatToolCall, type ChatToolSpec } from './tokenizer/index.js';

// Models: load a Hugging Face directory, GGUF or llama2.c checkpoint (or a Hub id), LoRA, saving and export.
export {
  loadModel,
  loadModelSpec,
  ModelLoadError,
  ModelConfigError,
  WeightMismatchError,
  DecoderModel,
  saveModel,
  exportGguf,
  applyLora,
  mergeLora,
  saveLoraAdapter,
  loadLoraAdapter,
  expandVocabulary,
  type DecoderConfig,
  type LoadedModel,
  type ModelSpec,
  type LoadModelOptions,
  type LoadProgress,
  type LoraConfig,
  type WeightLoading,
} from './models/index.js';

// Generation and constrained decoding.
export { generate, generateAsync, generateText, streamText, endOfSequenceIds, type GenerateOptions, type AsyncGenerateOptions, type GenerationResult, type TextGenerationOptions, type StreamTextOptions } from './generate/index.js';
export { ToolTrie, TriePrior, searchTools, searchToolsAsync, UnsupportedSchemaError, JsonAutomaton, JsonTokenMasker, VocabularyTrie, decodeJson, type ToolCandidate, type ToolPrior } from './generate/constraints/index.js';

// Tools: the tool model, catalogs and importers, validation, call formats, executors.
export {
  importToolFiles,
  importFile,
  loadCatalog,
  saveCatalog,
  parseCatalog,
  catalogStats,
  validateJson,
  FunctionExecutor,
  RoutingExecutor,
  createHttpExecutor,
  createReplayExecutor,
  createEchoExecutor,
  connectMcp,
  OptionalDependencyError,
  createFuncqaExecutor,
  defineTool,
  ToolDefinitionError,
  createToolExecutor,
  CatalogError,
  ImportError,
  SchemaError,
  type Tool,
  type ToolCatalog,
  type ToolExecutor,
  type ToolObservation,
  type ToolDefinition,
  type DefinedTool,
  type JsonSchema,
  type JsonValue,
  type ImportOptions,
  type ImportReport,
} from './tools/index.js';
export { decodeModelOutput, decodePythonCalls, parseJson, DecodeError, JsonSyntaxError, type DecodedCall, type DecodeOutcome } from './tools/calls/index.js';

// Tool indexes (atomic, semantic, numeric, hierarchical).
export { ToolIndex, type IndexScheme } from './indexing/index.js';

// Data files.
export { DataFileError, CsvError } from './data/index.js';

// Retrievers.
export { Bm25Index, DenseRetriever, GenerativeRetriever, LexicalPrior, type LexicalPriorOptions, type Retriever, type RankedTool } from './retrieval/index.js';

// Training: one Trainer, objectives as plug-ins.
export {
  Trainer,
  restoreBest,
  defaultTrainerConfig,
  type TrainerConfig,
  type TrainOptions,
  type TrainResult,
  type StepResult,
  type Objective,
  type ObjectiveLoss,
  type Evaluation,
} from './train/trainer.js';
export { SftObjective, defaultSftConfig, type SftConfig, type SftSettings } from './train/objectives/sft.js';
export { DpoObjective, defaultDpoSettings, type DpoSettings, type DpoObjectiveOptions, type DpoBatch, type PreferencePair } from './train/objectives/dpo.js';
export { GrpoObjective, groupAdvantages, grpoLoss, type GrpoSettings, type GrpoObjectiveOptions, type GrpoBatch, type RewardFunction } from './train/objectives/grpo.js';
export { rewardFilteredExamples, rewardFilteredExamplesAsync, rewardFilteredObjective, type AcceptFunction, type RewardFilterOptions, type RewardFilteredObjectiveOptions, type FilteredExamples } from './train/objectives/reward-filtered.js';
export { sampleCompletions, completionExample, type PolicyModel, type SamplingPolicy, type ScoringModel, type ReferencePolicy, type Completion, type CompletionSampling, type TokenizedPrompt } from './train/objectives/policy.js';
export { RunDirectory } from './train/run-dir.js';

// Evaluation.
export { evaluateRetrieval, type RetrievalReport } from './eval/retrieval/index.js';
export { evaluateBfcl, BfclDataError, PredictionsError, type BfclEvaluation } from './eval/bfcl/index.js';
export { runBfcl, generateBfclAnswers, BFCL_NOT_RUN, type BfclRun, type BfclRunOptions, type BfclGenerationOptions, type BfclAnswer, type BfclRunnerModel } from './eval/bfcl/index.js';
export { repairCallText, selectBestOfN, type BestOfCandidate } from './eval/bfcl/index.js';

// ToolGen.
export {
  prepareToolGenModel,
  trainToolGenStage,
  loadToolIndex,
  ToolGenAgent,
  addTools,
  saveToolGenModel,
  type NewToolRows,
  TOOLGEN_STAGES,
  type ToolGenModel,
  type ToolGenStage,
  type ToolGenStageOptions,
  type ToolGenStageResult,
  type AgentAnswer,
  runAgent,
  ToolGenPolicy,
  ReactPolicy,
  reactSystemPrompt,
  InContextCandidates,
  inContextConversations,
  trainInContextAgent,
  agentMetrics,
  trajectoryAnswerFile,
  type AgentPolicy,
  type AgentTrajectory,
  type AgentLoopOptions,
  type AgentMetrics,
} from './methods/toolgen/index.js';
export { answersMatch } from './eval/agent/answers.js';

// ToolkenGPT and Toolken+.
export {
  trainToolken,
  evaluateMath,
  evaluateKamel,
  evaluateVirtualHome,
  loadMathBenchmark,
  loadKamelBenchmark,
  loadVirtualHomeBenchmark,
  mathTrainingTexts,
  decodeAnswers,
  jointModel,
  plainModel,
  saveHead,
  loadHead,
  saveReranker,
  loadReranker,
  writeToolkenReport,
  HeadError,
  TemplateError,
  SpanError,
  METHODS as TOOLKENGPT_METHODS,
  diagnoseMath as diagnoseToolkenMath,
  type MathDiagnostics as ToolkenMathDiagnostics,
  type ToolHead,
  type Reranker,
  type ToolkenSystem,
  type MethodResult as ToolkenMethodResult,
  type InferenceSettings as ToolkenInferenceSettings,
} from './methods/toolkengpt/index.js';

// Function calling: checked {messages, tools} training data, LoRA / full SFT, then DPO or RL with the AST reward.
export {
  bfclExamples as functionCallingBfclExamples,
  readFcExamples,
  loadDataSource as loadFunctionCallingData,
  checkExamples as checkFunctionCallingExamples,
  splitFcExamples,
  splitManifest as functionCallingSplitManifest,
  tokenizeFcExample,
  trainFunctionCallingSft,
  trainFunctionCallingDpo,
  trainFunctionCallingRl,
  fcReward,
  judgeFcAnswer,
  fcPrompt,
  FC_RL_METHODS,
  type FcExample,
  type FcSplit,
  type FcStyle,
  type FcAdapter,
  type FcSftOptions,
  type FcSftResult,
  type FcRewardOptions,
  type FcPolicyOptions,
  type FcSampling,
  type FcPrompt,
  type FcDpoOptions,
  type FcDpoResult,
  type MinedPairs,
  type FcRlMethod,
  type FcRlOptions,
  type FcRlResult,
  type FcGrpoSettings,
  type FilteredAnswers,
} from './methods/function-calling/index.js';

// Serving: the OpenAI-compatible chat-completions server with constrained tool calls (the model on a worker thread:
// startModelWorker), and the dashboard.
export {
  createToolkenServer,
  serveModel,
  serveCatalog,
  ServeSetupError,
  startModelWorker,
  ModelWorkerError,
  inProcessRunner,
  type ModelRunner,
  type WorkerSetup,
  parseChatRequest,
  HERMES_TOOL_TEMPLATE,
  DEFAULT_REQUEST_LIMITS,
  type ServerOptions,
  type ToolkenServer,
  type ServableModel,
  type ServedModel,
  type ServedCatalog,
  openGateway,
  McpGateway,
  ToolFinder,
  serveGatewayHttp,
  serveGatewayStdio,
  loadUpstreamConfig,
  parseUpstreamConfig,
  type GatewayOptions,
  type OpenGateway,
  type FoundTool,
  type HttpGateway,
  type UpstreamServer,
  type ChatRequest,
  type RequestLimits,
  type ToolChoice,
  createDashboard,
  createDashboardServer,
  Playground,
  PlaygroundBusyError,
  PlaygroundInputError,
  PlaygroundWorkerError,
  hostPlayground,
  startPlaygroundWorker,
  type HostedPlayground,
  type PlaygroundEngine,
  type PlaygroundWorker,
  type Dashboard,
  type DashboardOptions,
  type DashboardServer,
  type PlaygroundAnswer,
  type PlaygroundSetup,
  type ServerStatsSnapshot,
} from './serve/index.js';
