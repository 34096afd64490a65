/**
 * ToolGen (Wang et al. 2024): every tool one virtual token, three training stages (memorization, retrieval,
 * agent tuning), trie-constrained retrieval and schema-constrained arguments.
 */
export {
  agentTuningExample,
  DEFAULT_AGENT_SYSTEM_PROMPT,
  FINISH_FUNCTION,
  memorizationExamples,
  readToolBenchAnswer,
  retrievalExamples,
  type AgentConversion,
  type AgentTuningOptions,
  type ToolBenchTrajectory,
  type ToolText,
  type TrajectoryFunction,
  type TrajectoryMessage,
} from './examples.js';
export {
  argumentsRequest,
  attachToolIndex,
  CATALOG_FILE,
  loadToolIndex,
  saveToolGenModel,
  selectTrainable,
  TOOL_INDEX_FILE,
  TOOLGEN_STAGES,
  type ToolGenModel,
  type ToolGenStage,
  type TrainableSelection,
} from './model.js';
export { FINISH_TOOL, prepareToolGenModel, trainToolGenStage, type ToolGenStageOptions, type ToolGenStageResult } from './stages.js';
export { teacherDistributions, toolTokenRange, withTeacherLabels, type TeacherOptions, type ToolDistributions } from './distill.js';
export { defaultAgentOptions, ToolGenAgent, type AgentAnswer, type AgentOptions } from './agent.js';
export {
  DEFAULT_RETRY_TEMPERATURES,
  defaultAgentLoopOptions,
  formatAgentEvent,
  runAgent,
  UNKNOWN_ACTION_OBSERVATION,
  type ActionChoice,
  type AgentEvent,
  type AgentLoopOptions,
  type AgentPolicy,
  type AgentStep,
  type AgentTrajectory,
  type ArgumentsChoice,
  type FinishType,
  type TurnSampling,
} from './agent-loop.js';
export { defaultToolGenPolicyOptions, ToolGenPolicy, type ToolGenPolicyOptions } from './policy.js';
export { goldConversation, PlanPolicy } from './plan-policy.js';
export { defaultReactPolicyOptions, reactConversation, reactMessages, ReactPolicy, reactSystemPrompt, type ReactPolicyOptions } from './react-policy.js';
export { candidateRecall, InContextCandidates, inContextConversations, trainInContextAgent } from './in-context.js';
export { copyBudget, copyCandidates, withCopiedValues, type CopyCandidates, type CopyOptions } from '../../generate/constraints/copy-values.js';
export { agentMetrics, type AgentMetrics, type AgentTaskRun } from './agent-metrics.js';
export { functionNameOf, trajectoryAnswerFile } from './trajectory.js';
export { SCRATCH_BASE_SIZE, scratchBase, scratchTokenizerTexts } from './scratch-base.js';
export { addTools, fitDocumentToRow, type AddToolsOptions, type NewToolRows } from './add-tools.js';
