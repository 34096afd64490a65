/** Function-calling fine-tuning: checked {messages, tools} training data, seeded splits, rendering and SFT runs. */
export { BFCL_TRAINING_CATEGORIES, bfclExamples, bfclToolSpec, datasetExamples, parseFcExample, readFcExamples, toolSpec, type FcExample } from './data.js';
export { checkExample, checkExamples, functionDoc, goldTruths, pythonCallText, type CheckedExamples } from './data-check.js';
export { apiBankExamples } from './data-api-bank.js';
export { toolAlpacaExamples } from './data-toolalpaca.js';
export { loadDataSource } from './data-sources.js';
export { assertNoTestLeak, normalizeQuestion, questionText, splitFcExamples, splitManifest, type FcSplit, type FcSplitOptions } from './splits.js';
export { defaultPromptingSystemPrompt, FC_STYLES, fcStyleTools, styledConversation, tokenizeFcExample, type FcRenderOptions, type FcStyle } from './train-render.js';
export { DEFAULT_LORA_TARGETS, trainFunctionCallingSft, type FcAdapter, type FcSftOptions, type FcSftResult } from './train-sft.js';
export { CALL_PATTERNS, callPattern, diversitySets, functionNames, pretrainingDocument, unseenPatternsTraining, unseenToolsTraining, type CallPattern, type DiversitySets } from './experiments.js';
export { fcReward, goldCalls, judgeFcAnswer, PARTIAL_CREDIT, targetTurn, type FcJudgement, type FcRewardOptions } from './reward.js';
export { fcPrompt, fcPrompts, startPolicy, type FcPolicyOptions, type FcPrompt, type FcSampling } from './train-policy.js';
export { minePairs, trainFunctionCallingDpo, type FcDpoOptions, type FcDpoResult, type MinedPairs } from './train-dpo.js';
export { defaultGrpoSettings, FC_RL_METHODS, trainFunctionCallingRl, type FcGrpoSettings, type FcRlMethod, type FcRlOptions, type FcRlResult, type FilteredAnswers } from './train-rl.js';
export { resampleFcExample, statedArguments, statedStringPool, statedValues, type StatedArgument } from './resample.js';
export { chatCopyProbe, copyAccuracy, pretrainingCopyProbe, type CopyProbe, type CopyScore } from './copy-metric.js';
