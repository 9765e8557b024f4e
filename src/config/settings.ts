/**
 * The settings a schema cannot check by itself, checked in the same pass before anything starts: the
 * MEV model's parameters (the MEV module owns their names and ranges), the slippage model, landing
 * delay and empirical tables (see slippage.ts), and the QuestDB conf (it must parse, and may carry
 * credentials only from QDB_CLIENT_CONF). Every problem is a ConfigIssue naming its path and source.
 */
import { resolveMevParams } from '../domain/mev/params.js';
import { assertCredentialsFromEnv, ClientConfError, parseClientConf } from '../domain/questdb-conf.js';
import type { ConfigIssue } from './load.js';
import type { Config } from './schema.js';
import { slippageIssues, type SourceOf } from './slippage.js';

/** The MEV parameters' problem as an issue: the MEV module prefixes its message with the key path. */
function mevIssues(config: Config, sourceOf: SourceOf): ConfigIssue[] {
  try {
    resolveMevParams(config.mev.params, undefined, 'mev.params');
    return [];
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const colon = e.message.indexOf(': ');
    const path = colon > 0 ? e.message.slice(0, colon) : 'mev.params';
    const problem = colon > 0 ? e.message.slice(colon + 2) : e.message;
    return [{ path, problem, source: sourceOf(path.split('.')) }];
  }
}

/** The QuestDB conf's problem, never quoting the conf (it may hold a password). */
function questDbIssues(config: Config, sourceOf: SourceOf): ConfigIssue[] {
  const conf = config.questdb.conf;
  if (conf === undefined) return [];
  const source = sourceOf(['questdb', 'conf']);
  try {
    parseClientConf(conf);
    assertCredentialsFromEnv(conf, source);
    return [];
  } catch (e) {
    if (!(e instanceof ClientConfError)) throw e;
    return [{ path: 'questdb.conf', problem: e.message, source }];
  }
}

/** Every problem with the settings the schema leaves to their modules; empty when all are usable. */
export function settingsIssues(config: Config, sourceOf: SourceOf): ConfigIssue[] {
  return [...mevIssues(config, sourceOf), ...slippageIssues(config, sourceOf), ...questDbIssues(config, sourceOf)];
}
