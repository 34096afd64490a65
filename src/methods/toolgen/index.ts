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
  loadToolIndex,
  selectTrainable,
  TOOL_INDEX_FILE,
  TOOLGEN_STAGES,
  type ToolGenModel,
  type ToolGenStage,
  type TrainableSelection,
} from './model.js';
export { CATALOG_FILE, FINISH_TOOL, prepareToolGenModel, trainToolGenStage, type ToolGenStageOptions, type ToolGenStageResult } from './stages.js';
export { teacherDistributions, toolTokenRange, withTeacherLabels, type TeacherOptions, type ToolDistributions } from './distill.js';
export { defaultAgentOptions, ToolGenAgent, type AgentAnswer, type AgentOptions } from './agent.js';
