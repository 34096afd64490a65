/** Berkeley Function Calling Leaderboard (BFCL) AST evaluation: decoding, checking and scoring. */
export { BFCL_CATEGORIES, BfclDataError, checkKindOf, hasCategory, isBfclCategory, languageOf, loadCategory } from './dataset.js';
export type { BfclCategory, BfclCheckKind, BfclEntry, BfclLanguage, FunctionDoc, GroundTruthCall, ParamSchema } from './dataset.js';
export { checkCall, checkCalls, standardizeString } from './checker.js';
export type { CheckFailure, CheckOptions, CheckResult } from './checker.js';
export { convertJava } from './java-types.js';
export { convertJs } from './js-types.js';
export { renderGroundTruth } from './render.js';
export { PredictionsError, aggregateScores, describeReading, formatReport, judgeEntry, loadPredictions, scoreEntries } from './score.js';
export type { BfclReport, CategoryScore, ScoreOptions, Verdict } from './score.js';
export { BFCL_CATEGORY_GROUPS, categoryOfId, evaluateBfcl, resolveCategories } from './evaluate.js';
export type { BfclEvaluation, BfclEvaluationOptions } from './evaluate.js';
export type { BfclMessage } from './dataset.js';
export { bfclSystemPrompt, fcTools, languageHintedFunctions, promptingMessages, pythonJsonDumps, argumentSchema } from './prompts.js';
export { BFCL_NOT_RUN, bfclPromptIds, bfclResultPath, bfclRunCategories, bfclStopTokens, generateBfclAnswers, runBfcl } from './runner.js';
export { MAX_REPAIR_CHARS, MAX_REPAIR_DEPTH, repairCallText } from './repair.js';
export { selectBestOfN, wellFormedAnswer, type BestOfCandidate } from './best-of-n.js';
export type { BfclAnswer, BfclGenerationOptions, BfclRun, BfclRunOptions, BfclRunnerModel } from './runner.js';
export { constrainedCallsHook, type ConstrainedFunction } from './constrained-calls.js';
