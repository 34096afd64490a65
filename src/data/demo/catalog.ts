/**
 * The built-in demo catalog: 129 small, offline, deterministic tools in 10 domains, written for toolken so that
 * every stage (retrieval, calling, execution) can be tried end to end without any network or third-party data.
 */
import type { JsonValue, Tool } from '../../tools/types.js';
import { formatIssues, validateJson } from '../../tools/validate.js';
import { FunctionExecutor, type CallLimits } from '../../tools/executors/registry.js';
import type { DemoTool, Implementation } from './define.js';
import { colorTools } from './domains/colors.js';
import { dateTimeTools } from './domains/datetime.js';
import { encodingTools } from './domains/encoding.js';
import { financeTools } from './domains/finance.js';
import { geometryTools } from './domains/geometry.js';
import { listTools } from './domains/lists.js';
import { mathTools } from './domains/math.js';
import { statisticsTools } from './domains/statistics.js';
import { textTools } from './domains/text.js';
import { unitTools } from './domains/units.js';

/** Every demo tool with its implementation and query templates. */
export function demoTools(): DemoTool[] {
  return [
    ...mathTools,
    ...unitTools,
    ...dateTimeTools,
    ...textTools,
    ...financeTools,
    ...geometryTools,
    ...colorTools,
    ...encodingTools,
    ...statisticsTools,
    ...listTools,
  ];
}

export function demoCatalog(): Tool[] {
  return demoTools().map((d) => structuredClone(d.tool));
}

/**
 * Implementations by tool id. Each checks its arguments against the tool's parameter schema first and throws an
 * error naming the tool and every violation, so a model's malformed call is reported rather than computed.
 */
export function demoImplementations(): Map<string, (args: JsonValue) => JsonValue> {
  return new Map(demoTools().map((d) => [d.tool.id, checked(d.tool, d.run)]));
}

function checked(tool: Tool, run: Implementation): (args: JsonValue) => JsonValue {
  return (args) => {
    const issues = validateJson(tool.parameters, args);
    if (issues.length > 0) throw new Error(`${tool.id}: invalid arguments\n${formatIssues(issues)}`);
    return run(args as Record<string, JsonValue>);
  };
}

/**
 * The demo tools among `tools` as an executor of their real implementations (results are the JSON of the value);
 * tools the demo does not implement are left out, so calling one is an `unknown-tool` observation.
 */
export function demoExecutor(tools: readonly Tool[] = demoCatalog(), limits: Partial<CallLimits> = {}): FunctionExecutor {
  const implementations = demoImplementations();
  const executor = new FunctionExecutor(limits);
  for (const tool of tools) {
    const run = implementations.get(tool.id);
    if (run !== undefined) executor.register(tool, (args) => JSON.stringify(run(args)));
  }
  return executor;
}
