/**
 * ToolkenGPT (Hao et al. 2023): a frozen language model learns one output embedding per tool ("toolken") and calls
 * tools by predicting them; Toolken+ (Yakovlev et al. 2024) reranks the head's top tools with a Reject option.
 */
export {
  deriveGsm8kXlTraining, funcqaTextWithCalls, funcqaTrainingText, loadFuncqaRecords, type FuncqaRecord, FUNCQA_TOOLS, GSM8K_XL_TOOLS, gsm8kTextsWithCalls, KAMEL_RELATION_COUNTS, loadFuncqaTest, loadFuncqaTextsWithCalls, loadFuncqaTraining,
  loadGsm8kXlTest, loadKamelRelations, loadKamelTest, loadKamelTraining, loadVirtualHome, loadVirtualHomeTools, operandsOf, operationOf, stripWrittenCalls,
  type GoldCall, type KamelQuestion, type KamelRelations, type MathQuestion, type ToolSpan, type ToolText, type VirtualHomeTask,
} from './data.js';
export { diagnoseMath, type MathDiagnostics } from './diagnostics.js';
export { FUNCQA_DOCS } from './docs.js';
export { resampleFuncqaRecord } from './resample.js';
export {
  defaultHeadTraining, headFeatures, HeadError, loadHead, saveHead, scoreFiring, trainHead,
  type FiringScore, type HeadEpoch, type HeadFeatures, type HeadTrainingOptions, type ToolHead, type TrainedHead,
} from './head.js';
export {
  decodeAnswers, type DecodedAnswer, type DecodeOptions, type ExecutedCall, type JointModel, type JointSession, type TextCodec, type ToolChoiceContext,
  type ToolChooser, type ToolUse,
} from './inference.js';
export { baseIdentity, hiddenAndLogits, jointModel, lastHidden, plainModel, type BaseIdentity } from './model.js';
export {
  evaluateKamel, evaluateMath, evaluateVirtualHome, executeFuncqaCall, loadKamelBenchmark, loadMathBenchmark, loadVirtualHomeBenchmark, planSteps, MATH_DATASETS, mathTrainingTexts, METHODS, COPY_METHODS, naiveTrainingSeconds,
  trainToolken, type InferenceSettings, type KamelBenchmark, type MathBenchmark, type MathDataset, type Method, type MethodResult, type QuestionResult,
  type ToolkenSystem, type ToolkenTrainingOptions, type TrainedToolken, type VirtualHomeBenchmark,
} from './pipeline.js';
export { writeToolkenReport, summaries, summaryRows } from './report.js';
export {
  defaultRerankerTraining, loadReranker, marginJson, mineRerankPositions, OVERRIDE_MARGINS, rerank, rerankPrompt, rerankScores, saveReranker, trainReranker, tuneOverrideMargin,
  type MinedPosition, type RerankerTrainingOptions, type Reranker, type RerankExample,
} from './reranker.js';
export { approxMatch, callPrecisionRecall, containsAnswer, countCalls, exactMatch, extractAnswer, type CallCounts } from './scoring.js';
export { SpanError, tokenizeToolText, type TokenizedToolText, type TokenSpan } from './spans.js';
export { fillTemplate, loadTemplates, TemplateError, type Templates } from './templates.js';
