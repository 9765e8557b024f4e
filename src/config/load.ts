/**
 * Loads the configuration: embedded defaults < config file < environment < CLI flags, validated once
 * at start. Every problem is reported at once, each naming its config path and where the bad value
 * came from, because a config that fails one error at a time wastes a restart per typo.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { configSchema, type Config, type ConfigInput } from './schema.js';
import { settingsIssues } from './settings.js';
import { booleanOrText, ENV_BINDINGS, FLAG_BINDINGS, numberOrText, type ConfigPath } from './sources.js';

export { describeConfig, type DescribeOptions } from './describe.js';

export interface LoadConfigOptions {
  /** A .yaml, .yml or .json file; relative paths resolve against the working directory. */
  readonly file?: string | undefined;
  /** Defaults to no environment at all (not process.env), so a caller opts in explicitly. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Command-line overrides, highest precedence. */
  readonly flags?: ConfigOverrides | undefined;
}

/**
 * Overrides in the shape of the config file. Typed as ConfigInput where the caller can; values not
 * yet checked (a flag's text) are accepted too, and validation names the flag when one is wrong.
 */
export type ConfigOverrides = ConfigInput | { readonly [key: string]: unknown };

/** One validation problem: the config path, what is wrong, and which source supplied the value. */
export interface ConfigIssue {
  readonly path: string;
  readonly problem: string;
  /** "default", the file name, "env PTE_X" or "flag --x". */
  readonly source: string;
}

/** The configuration is invalid or unreadable; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    super(
      `invalid configuration:\n${issues.map((i) => `  ${i.path}: ${i.problem} (from ${i.source})`).join('\n')}`,
      options,
    );
    this.issues = issues;
  }
}

/** Origin of every value set by a layer, keyed by its encoded path. */
export type ConfigOrigins = ReadonlyMap<string, { readonly path: ConfigPath; readonly source: string }>;

export interface ResolvedConfig {
  readonly config: Config;
  /** Which layer set each non-default value (for `--print-config`). */
  readonly origins: ConfigOrigins;
}

/** Loads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  return resolveConfig(options).config;
}

/** Like loadConfig, and also reports where each value came from. */
export function resolveConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const layers: Layer[] = [];
  if (options.file !== undefined) layers.push({ data: readConfigFile(options.file), source: () => options.file ?? 'file' });
  if (options.env !== undefined) {
    const env = envLayer(options.env);
    layers.push({ data: env.data, source: (p) => env.sourceOf(p) });
  }
  if (options.flags !== undefined) layers.push({ data: stripNulls(options.flags, []), source: flagSource });

  let merged: Record<string, unknown> = {};
  const origins = new Map<string, { path: ConfigPath; source: string }>();
  for (const layer of layers) {
    merged = mergeLayer(merged, layer.data, []);
    for (const path of leafPaths(layer.data, [])) origins.set(encodePath(path), { path, source: layer.source(path) });
  }

  const parsed = configSchema.safeParse(merged, { reportInput: true, error: problemFor });
  if (!parsed.success) throw new ConfigError(toIssues(parsed.error.issues, origins));
  const settings = settingsIssues(parsed.data, (path) => sourceOf(path, origins));
  if (settings.length > 0) throw new ConfigError(settings);
  return { config: parsed.data, origins };
}

interface Layer {
  readonly data: Record<string, unknown>;
  readonly source: (path: ConfigPath) => string;
}

/** Reads a config file, YAML or JSON by extension. Integers in YAML stay exact (a uint64 seed). */
export function readConfigFile(file: string): Record<string, unknown> {
  const fail = (problem: string, cause?: unknown): never => {
    throw new ConfigError([{ path: 'config file', problem, source: file }], { cause });
  };
  const ext = extname(file).toLowerCase();
  if (ext !== '.yaml' && ext !== '.yml' && ext !== '.json') {
    return fail(`unsupported extension ${JSON.stringify(ext)}; use .yaml, .yml or .json`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(e)})`, e);
  }
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : exactIntegers(YAML.parse(text, { intAsBigInt: true }));
  } catch (e) {
    return fail(`not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e)}`, e);
  }
  if (value === null || value === undefined) return {}; // an empty file: all defaults
  if (!isPlainObject(value)) return fail(`must hold a mapping of settings at the top level, not ${describeValue(value)}`);
  return stripNulls(value, []);
}

/**
 * YAML is parsed with every integer as a bigint so a 64-bit seed keeps all its digits; the ones that
 * fit a double exactly go back to numbers, the rest stay bigints (only the seed accepts them).
 */
function exactIntegers(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(exactIntegers);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, exactIntegers(x)]));
  return v;
}

/** Reads the PTE_* variables (and QDB_CLIENT_CONF); empty values count as unset. */
function envLayer(env: NodeJS.ProcessEnv): { data: Record<string, unknown>; sourceOf(path: ConfigPath): string } {
  let data: Record<string, unknown> = {};
  for (const b of ENV_BINDINGS) {
    const raw = env[b.name];
    if (raw === undefined || raw.trim() === '') continue;
    const value =
      b.kind === 'number'
        ? numberOrText(raw)
        : b.kind === 'boolean'
          ? booleanOrText(raw)
          : b.kind === 'list'
            ? raw
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== '')
            : raw.trim();
    data = mergeLayer(data, setIn(b.path, value), []);
  }
  return {
    data,
    sourceOf(path) {
      const b = ENV_BINDINGS.find((x) => isPrefix(x.path, path));
      return b ? `env ${b.name}` : 'env';
    },
  };
}

function flagSource(path: ConfigPath): string {
  const b = FLAG_BINDINGS.find((x) => isPrefix(x.path, path));
  return b ? `flag ${b.flag}` : 'flags';
}

/** Objects whose contents are replaced as a whole: merging a model's params across layers is meaningless. */
const ATOMIC = [['slippage', 'model']];
/** Open maps whose values are passed to another module as is (a null there may mean something). */
const OPEN = [['slippage', 'model', 'params'], ['slippage', 'landingDelay'], ['mev', 'params']];

function mergeLayer(base: Record<string, unknown>, over: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const p = [...path, k];
    const prev = out[k];
    const atomic = ATOMIC.some((a) => samePath(a, p));
    out[k] = !atomic && isPlainObject(prev) && isPlainObject(v) ? mergeLayer(prev, v, p) : v;
  }
  return out;
}

/** A null (YAML `key:` with nothing after it) means "not set", so an emptied section keeps its defaults. */
function stripNulls(v: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = [...path, k];
    if (x === null || x === undefined) continue;
    out[k] = isPlainObject(x) && !OPEN.some((o) => samePath(o, p)) ? stripNulls(x, p) : x;
  }
  return out;
}

/** Paths of every value a layer sets; arrays and open maps count as one value. */
function leafPaths(v: unknown, path: string[]): ConfigPath[] {
  if (!isPlainObject(v) || OPEN.some((o) => samePath(o, path)) || (path.length > 0 && Object.keys(v).length === 0)) {
    return path.length === 0 ? [] : [path];
  }
  return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...path, k]));
}

function toIssues(issues: readonly z.core.$ZodIssue[], origins: ConfigOrigins): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const hint = closest(key, known);
        const problem = `unknown setting${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}; known here: ${known.join(', ')}`;
        out.push({ path: formatPath(path), problem, source: sourceOf(path, origins) });
      }
      continue;
    }
    out.push({ path: formatPath(issue.path), problem: issue.message, source: sourceOf(issue.path, origins) });
  }
  return out;
}

/** Messages for zod's generic issues; schema-specific messages (ranges, formats) take precedence. */
function problemFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `expected ${article(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeValue(issue.input)}`;
    case 'invalid_union':
      return `has the wrong type: ${describeValue(issue.input)}`;
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'invalid';
      return `invalid key ${describeValue(issue.input)}: ${inner}`;
    }
    default:
      return undefined;
  }
}

function article(expected: string): string {
  if (expected === 'object' || expected === 'record') return 'a mapping';
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'a whole number';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** How a bad value is shown in an error: short, and never a whole nested object. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

function sourceOf(path: readonly PropertyKey[], origins: ConfigOrigins): string {
  const p = path.map((s) => (typeof s === 'number' ? s : String(s)));
  for (let n = p.length; n > 0; n--) {
    const hit = origins.get(encodePath(p.slice(0, n)));
    if (hit) return hit.source;
  }
  // An issue on a whole section (e.g. one of its keys missing) blames the last layer that touched it.
  const prefix = p.length === 0 ? '' : `${encodePath(p)}\u0000`;
  let last: string | undefined;
  for (const [k, v] of origins) if (k.startsWith(prefix)) last = v.source;
  return last ?? 'default';
}

/** The keys a strict object at `path` accepts, found by walking the schema. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let node: unknown = configSchema;
  const unwrap = (n: unknown): unknown => {
    let cur = n;
    while (cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault || cur instanceof z.ZodOptional) cur = cur.unwrap();
    return cur;
  };
  for (const seg of path) {
    node = unwrap(node);
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, unknown>)[String(seg)];
    else if (node instanceof z.ZodRecord) node = node.valueType;
    else return [];
  }
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** The known key nearest to a typo, if it is close enough to be a plausible misspelling. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** market.jupiterUrls[1], portfolios.byId["my desk"].startingBalances.SOL */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z0-9_-]+$/.test(s) ? `${out === '' ? '' : '.'}${s}` : `[${JSON.stringify(s)}]`;
    }
  }
  return out === '' ? '(root)' : out;
}

const encodePath = (path: readonly (string | number)[]): string => path.map(String).join('\u0000');
const samePath = (a: readonly (string | number)[], b: readonly (string | number)[]): boolean =>
  a.length === b.length && a.every((s, i) => s === b[i]);
const isPrefix = (prefix: ConfigPath, path: ConfigPath): boolean =>
  prefix.length <= path.length && prefix.every((s, i) => s === path[i]);

function setIn(path: ConfigPath, value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) out = { [String(path[i])]: out };
  return out as Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
