/**
 * ToolAlpaca evaluation sets (`eval_simulated.json`, `eval_real.json`): per API, its OpenAPI documentation (read by
 * the tools module's ToolAlpaca importer) and instructions with golden answers, each a list of actions
 * `{Action, Action_Input}` with the input as a JSON string. An instruction becomes the user turn and its actions
 * one assistant turn of calls, offered the API's functions. ToolAlpaca runs multi-action answers one step at a time
 * with the results in between; the golden answers keep no results, so their actions are one turn of several calls.
 */
import { basename } from 'node:path';
import { DataFileError, isObject, readJson } from '../../data/loaders/files.js';
import type { ChatToolCall } from '../../tokenizer/chat-template.js';
import { importFile } from '../../tools/import/index.js';
import { toolSpec, type FcExample } from './data.js';

/** Every instruction of a ToolAlpaca evaluation file whose golden answer makes a call. */
export function toolAlpacaExamples(path: string): FcExample[] {
  const tools = importFile(path, 'toolalpaca').result.tools;
  const apis = readJson(path);
  if (!Array.isArray(apis)) throw new DataFileError(`${path}: expected a list of APIs`);
  const file = basename(path).replace(/\.json$/, '');
  return apis.flatMap((api, a) => {
    const where = `${path} [${a}]`;
    if (!isObject(api) || typeof api['Name'] !== 'string' || !Array.isArray(api['Instructions']) || !Array.isArray(api['Golden_Answers'])) {
      throw new DataFileError(`${where}: expected {"Name", "Instructions": [...], "Golden_Answers": [...]}`);
    }
    const name = api['Name'];
    const offered = tools.filter((t) => t.group?.name === name).map(toolSpec);
    const answers = api['Golden_Answers'];
    return api['Instructions'].flatMap((instruction, i): FcExample[] => {
      const actions = answers[i];
      if (typeof instruction !== 'string' || !Array.isArray(actions) || actions.length === 0) return [];
      const calls: ChatToolCall[] = actions.map((action, k) => {
        if (!isObject(action) || typeof action['Action'] !== 'string') throw new DataFileError(`${where} Golden_Answers[${i}][${k}]: expected {"Action", "Action_Input"}`);
        const input = action['Action_Input'];
        // A malformed input stays text: the checker then rejects the example, reported with the others.
        return { type: 'function', function: { name: action['Action'], arguments: typeof input === 'string' ? input : isObject(input) ? input : '' } };
      });
      return [{ id: `toolalpaca/${file}/${name}/${i}`, messages: [{ role: 'user', content: instruction }, { role: 'assistant', content: '', tool_calls: calls }], tools: offered, source: `${where} Instructions[${i}]` }];
    });
  });
}
