/**
 * The upstream MCP servers a gateway imports tools from, listed in a config file in the shape MCP clients share:
 *
 *   { "mcpServers": { "files": { "command": "node", "args": ["server.js"], "env": { ... }, "cwd": "..." },
 *                     "search": { "url": "http://127.0.0.1:9000/mcp", "headers": { ... } } } }
 *
 * (`type` may say "stdio", "http" or "streamable-http"; anything else is refused.) The file is parsed at the edge:
 * every entry is checked and a problem names the file and the entry's JSON pointer.
 */
import { readFileSync, statSync } from 'node:fs';
import type { McpServerAddress } from '../../tools/executors/mcp.js';
import { ServeSetupError } from '../served-model.js';

export interface UpstreamServer {
  readonly name: string;
  readonly address: McpServerAddress;
}

/** Most servers one config lists, and most arguments or variables per server. */
const MAX_SERVERS = 64;
const MAX_ENTRIES = 256;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

type Fields = { [key: string]: unknown };
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length > MAX_ENTRIES || !value.every((v) => typeof v === 'string')) {
    throw new Error(`${where}: expected an array of at most ${MAX_ENTRIES} strings`);
  }
  return value as string[];
}

function stringRecord(value: unknown, where: string): Record<string, string> {
  if (!isRecord(value) || Object.keys(value).length > MAX_ENTRIES || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new Error(`${where}: expected an object of at most ${MAX_ENTRIES} string values`);
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function address(entry: Fields, where: string): McpServerAddress {
  const known = new Set(['type', 'command', 'args', 'env', 'cwd', 'url', 'headers']);
  const stray = Object.keys(entry).find((k) => !known.has(k));
  if (stray !== undefined) throw new Error(`${where}/${stray}: unknown field (expected command, args, env, cwd, or url, headers)`);
  const type = entry['type'];
  if (type !== undefined && type !== 'stdio' && type !== 'http' && type !== 'streamable-http') {
    throw new Error(`${where}/type: expected "stdio", "http" or "streamable-http", got ${JSON.stringify(type)}`);
  }
  if (typeof entry['url'] === 'string') {
    if (entry['command'] !== undefined || type === 'stdio') throw new Error(`${where}: give either command (stdio) or url (Streamable HTTP), not both`);
    let url: URL;
    try {
      url = new URL(entry['url']);
    } catch {
      throw new Error(`${where}/url: not a URL: ${JSON.stringify(entry['url'].slice(0, 200))}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}/url: expected an http(s) URL, got ${url.protocol}`);
    return { transport: 'http', url: url.href, ...(entry['headers'] === undefined ? {} : { headers: stringRecord(entry['headers'], `${where}/headers`) }) };
  }
  const command = entry['command'];
  if (typeof command !== 'string' || command.trim() === '') throw new Error(`${where}: expected "command" (a program to run over stdio) or "url" (a Streamable HTTP endpoint)`);
  if (type === 'http' || type === 'streamable-http') throw new Error(`${where}: type ${type} needs a url`);
  return {
    transport: 'stdio',
    command,
    ...(entry['args'] === undefined ? {} : { args: strings(entry['args'], `${where}/args`) }),
    ...(entry['env'] === undefined ? {} : { env: stringRecord(entry['env'], `${where}/env`) }),
    ...(typeof entry['cwd'] === 'string' ? { cwd: entry['cwd'] } : {}),
  };
}

/** The servers of a parsed config file; `file` names it in errors. */
export function parseUpstreamConfig(value: unknown, file: string): UpstreamServer[] {
  try {
    if (!isRecord(value) || !isRecord(value['mcpServers'])) throw new Error('expected an object with "mcpServers": { name: { command, args } | { url } }');
    const entries = Object.entries(value['mcpServers']);
    if (entries.length === 0) throw new Error('/mcpServers lists no servers');
    if (entries.length > MAX_SERVERS) throw new Error(`/mcpServers lists ${entries.length} servers, over the limit of ${MAX_SERVERS}`);
    return entries.map(([name, entry]) => {
      const where = `/mcpServers/${name}`;
      if (!NAME.test(name)) throw new Error(`${where}: a server name is 1-64 of a-z, A-Z, 0-9, _, . and -`);
      if (!isRecord(entry)) throw new Error(`${where}: expected an object`);
      return { name, address: address(entry, where) };
    });
  } catch (err) {
    throw new ServeSetupError(`${file}: ${(err as Error).message}`);
  }
}

/** Largest config file read; a list of servers is a few kilobytes. */
const MAX_CONFIG_BYTES = 1 << 20;

export function loadUpstreamConfig(path: string): UpstreamServer[] {
  let value: unknown;
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) throw new Error('the file does not exist');
    if (stat.isDirectory()) throw new Error('it is a folder; pass the config file inside it');
    const size = stat.size;
    if (size > MAX_CONFIG_BYTES) throw new Error(`${size} bytes, over the limit of ${MAX_CONFIG_BYTES}`);
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ServeSetupError(`${path}: cannot read the MCP servers config: ${(err as Error).message}`);
  }
  return parseUpstreamConfig(value, path);
}
