/**
 * An agent run written as a ToolBench answer file (`answer_generation` with `function` and `train_messages`), the
 * format that `readToolBenchAnswer` and `agentTuningExample` read, so that a run can be trained on again. Tool
 * texts the model wrote are turned back into function names; the conversion back renames them into the index's
 * texts, giving the conversation the model saw.
 */
import { toolBenchFunctionName } from '../../data/loaders/toolbench-names.js';
import type { JsonValue, Tool } from '../../tools/types.js';
import type { AgentTrajectory } from './agent-loop.js';
import { toolAsFunction } from './agent-loop.js';
import { FINISH_FUNCTION, FINISH_TOOL } from './examples.js';

/** The function name a tool has in an answer file (ToolBench's `api_for_tool` for ToolBench ids, else its name). */
export function functionNameOf(tool: Tool): string {
  const [toolName, apiName] = tool.id.split('&&');
  return toolName !== undefined && apiName !== undefined ? toolBenchFunctionName(toolName, apiName) : tool.name;
}

/** The answer file of one run; `textToFunction` maps a tool text the model wrote to its function name. */
export function trajectoryAnswerFile(trajectory: AgentTrajectory): { [key: string]: JsonValue } {
  const byId = new Map(trajectory.tools.map((t) => [t.id, t]));
  const nameOf = (toolId: string | undefined, text: string): string => {
    if (toolId === FINISH_FUNCTION) return FINISH_FUNCTION;
    const tool = toolId === undefined ? undefined : byId.get(toolId);
    return tool === undefined ? text : functionNameOf(tool);
  };
  const messages: JsonValue[] = [
    { role: 'system', content: trajectory.messages[0]?.content ?? '' },
    { role: 'user', content: trajectory.task },
  ];
  for (const step of trajectory.steps) {
    messages.push({
      role: 'assistant',
      content: step.thought,
      function_call: { name: nameOf(step.action.toolId, step.action.text), arguments: step.argumentsText },
    });
    if (step.kind !== 'finish') messages.push({ role: 'function', name: nameOf(step.action.toolId, step.action.text), content: step.observation });
  }
  const functions = [...trajectory.tools, FINISH_TOOL].map((tool) => {
    const fn = toolAsFunction(tool);
    return { name: tool.id === FINISH_FUNCTION ? FINISH_FUNCTION : functionNameOf(tool), description: fn.description, parameters: fn.parameters };
  });
  return {
    answer_generation: {
      valid_data: true,
      query: trajectory.task,
      finish_type: trajectory.finishType,
      final_answer: trajectory.answer,
      function: functions,
      train_messages: [messages],
    },
  };
}
