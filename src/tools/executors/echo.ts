/**
 * An offline environment for agent runs that have neither live services nor recorded responses (StableToolBench's
 * cached API server is not available here): a call whose arguments satisfy the tool's schema succeeds and its
 * observation repeats the call; one that does not is refused as a live call would be. Runs in it measure what the
 * agent decides — which tools, which arguments, when to finish — and nothing about the answers.
 */
import type { Tool } from '../types.js';
import { FunctionExecutor, type CallLimits } from './registry.js';

export function createEchoExecutor(tools: readonly Tool[], limits: Partial<CallLimits> = {}): FunctionExecutor {
  const executor = new FunctionExecutor(limits);
  for (const tool of tools) executor.register(tool, (args) => JSON.stringify({ api: tool.name, input: args, note: 'echo environment: the call was made; no response is recorded' }));
  return executor;
}
