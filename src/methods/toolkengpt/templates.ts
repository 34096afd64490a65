/**
 * ToolkenGPT's prompt templates: reasoning mode (`llama_general.txt`, few-shot chain of thought; `llama_func.txt`,
 * the same with calls written in the text) and tool mode (one few-shot file per tool, `llama_<op>.txt`, whose
 * demonstrations show how that tool's arguments are written). Each holds `[QUESTION]` where the question goes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorWithCode } from '../../util/errors.js';

export interface Templates {
  readonly general: string;
  readonly func: string;
  /** Tool-mode few-shot prompt per tool (`<add>` -> the text of `llama_<add>.txt`). */
  readonly tool: ReadonlyMap<string, string>;
}

export class TemplateError extends errorWithCode('TOOLKEN_TEMPLATE_INVALID') {}

function readTemplate(file: string): string {
  if (!existsSync(file)) throw new TemplateError(`${file}: template file not found`);
  const text = readFileSync(file, 'utf8');
  if (!text.includes('[QUESTION]')) throw new TemplateError(`${file}: the template has no [QUESTION] placeholder`);
  return text;
}

/**
 * Reads a template folder for the given tools. Every tool needs its tool-mode file, and that file must
 * demonstrate the tool (`<op>(`); the func template must demonstrate at least one tool.
 */
export function loadTemplates(dir: string, tools: readonly string[]): Templates {
  const general = readTemplate(join(dir, 'llama_general.txt'));
  const funcFile = join(dir, 'llama_func.txt');
  const func = readTemplate(funcFile);
  if (!tools.some((t) => func.includes(`${t}(`))) throw new TemplateError(`${funcFile}: no demonstration calls any of ${tools.join(', ')}`);
  const tool = new Map<string, string>();
  for (const t of tools) {
    const file = join(dir, `llama_${t}.txt`);
    if (!existsSync(file)) throw new TemplateError(`${file}: missing the tool-mode template of ${t} (one llama_<tool>.txt per tool)`);
    const text = readTemplate(file);
    if (!text.includes(`${t}(`)) throw new TemplateError(`${file}: the tool-mode template never demonstrates a call of ${t} ("${t}(")`);
    tool.set(t, text);
  }
  return { general, func, tool };
}

/** A template with the question in place of `[QUESTION]`. */
export function fillTemplate(template: string, question: string): string {
  return template.replace('[QUESTION]', question);
}
