/**
 * The slippage settings, checked at start like every other setting: the model's name and parameters
 * (through the registry that will run it), the landing delay, and the empirical model's tables, read
 * from the file `slippage.model.params.file` names or given inline. Every problem names its config
 * path and where the value came from (the config file, or the model file for a table inside it).
 */
import { isExecutorError } from '../domain/errors.js';
import type { JsonValue, SlippageModelSpec } from '../domain/request.js';
import { empiricalModelFactory, parseEmpiricalModel, type EmpiricalModelData } from '../domain/slippage/empirical.js';
import { parseLandingParams } from '../domain/slippage/landing.js';
import { BUILTIN_MODELS, createSlippageRegistry, type SlippageRegistry } from '../domain/slippage/registry.js';
import { ConfigError, readConfigFile, type ConfigIssue } from './load.js';
import type { Config } from './schema.js';

/** Which layer set a config path ("cfg.yaml", "env PTE_X", "default"). */
export type SourceOf = (path: readonly string[]) => string;

const MODEL_PATH = ['slippage', 'model', 'params'];

/** An INVALID_ARGUMENT from a domain parser as a config issue: its field is the config path. */
function issueOf(e: unknown, source: string): ConfigIssue {
  if (isExecutorError(e, 'INVALID_ARGUMENT')) {
    const field = typeof e.context.field === 'string' ? e.context.field : 'slippage';
    const problem = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
    return { path: field, problem, source };
  }
  throw e;
}

const isObject = (v: unknown): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The empirical model the config names, or undefined when the model is another one. With
 * `params.file`, the file is a config file (as `pte evaluate --emit-model` writes it) whose
 * `slippage.model` is the empirical model; relative paths resolve against the working directory, as
 * every path in the config does. Throws ConfigError naming the path of every problem.
 */
export function loadEmpiricalModel(model: Config['slippage']['model'], sourceOf: SourceOf = () => 'config'): EmpiricalModelData | undefined {
  if (model.name !== 'empirical') return undefined;
  const params = model.params;
  const file = params['file'];
  if (file === undefined) {
    try {
      return parseEmpiricalModel(params, 'slippage.model');
    } catch (e) {
      throw new ConfigError([issueOf(e, sourceOf(MODEL_PATH))]);
    }
  }
  const fileSource = sourceOf([...MODEL_PATH, 'file']);
  const fail = (problem: string, cause?: unknown): never => {
    throw new ConfigError([{ path: 'slippage.model.params.file', problem, source: fileSource }], { cause });
  };
  if (typeof file !== 'string' || file.trim() === '') return fail('must be the path of a model file written by pte evaluate --emit-model');
  if (Object.keys(params).length > 1) return fail('give either file or the model itself in slippage.model.params, not both');
  let doc: Record<string, unknown>;
  try {
    doc = readConfigFile(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return fail(`cannot load the model file ${JSON.stringify(file)}: ${e.issues.map((i) => i.problem).join('; ')}`, e);
  }
  const slippage = doc['slippage'];
  const inner = isObject(slippage) ? slippage['model'] : undefined;
  if (!isObject(inner) || inner['name'] !== 'empirical' || !isObject(inner['params']) || inner['params']['file'] !== undefined) {
    throw new ConfigError([{ path: 'slippage.model', problem: 'the model file must hold slippage.model with name empirical and the fitted tables as params', source: file }]);
  }
  try {
    return parseEmpiricalModel(inner['params'], 'slippage.model');
  } catch (e) {
    throw new ConfigError([issueOf(e, file)]);
  }
}

/** Every problem with the slippage settings; empty when they are usable. */
export function slippageIssues(config: Config, sourceOf: SourceOf): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const model = config.slippage.model;
  try {
    if (model.name === 'empirical') loadEmpiricalModel(model, sourceOf);
    else createSlippageRegistry().create(model, 'slippage.model');
  } catch (e) {
    if (e instanceof ConfigError) issues.push(...e.issues);
    else issues.push(issueOf(e, sourceOf(MODEL_PATH)));
  }
  try {
    parseLandingParams(config.slippage.landingDelay as Record<string, JsonValue>, 'slippage.landingDelay');
  } catch (e) {
    // The landing parser names `<field>.params.<key>`; in the config the keys sit right under landingDelay.
    const issue = issueOf(e, sourceOf(['slippage', 'landingDelay']));
    issues.push({ ...issue, path: issue.path.replace('slippage.landingDelay.params.', 'slippage.landingDelay.') });
  }
  return issues;
}

/**
 * The slippage registry and default model the pipeline runs with. With an empirical model, the
 * registry also knows "empirical", built from the loaded tables, and the default spec names the model
 * by its digest (not by its file or tables), so each trade records which model it drew from and a
 * replay against other tables is refused.
 */
export function configuredSlippage(config: Config): { readonly registry: SlippageRegistry; readonly defaultModel: SlippageModelSpec } {
  const empirical = loadEmpiricalModel(config.slippage.model);
  const registry = createSlippageRegistry(empirical ? [...BUILTIN_MODELS, empiricalModelFactory(empirical)] : BUILTIN_MODELS);
  const defaultModel: SlippageModelSpec = empirical ? { name: 'empirical', params: { sha256: empirical.digest } } : config.slippage.model;
  registry.create(defaultModel, 'config.slippage.model'); // a bad default model fails at start, not on the first trade
  return { registry, defaultModel };
}
