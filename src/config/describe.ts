/**
 * The effective configuration as readable YAML, for `pte serve --print-config`. The output is itself
 * a valid config file (save it, edit it, pass it with --config), with secrets redacted and, when
 * known, a comment naming where each non-default value came from.
 */
import YAML from 'yaml';
import type { ConfigOrigins } from './load.js';
import type { Config } from './schema.js';
import { SECRET_ENV } from './sources.js';

export interface DescribeOptions {
  /** From resolveConfig: annotates values set by the file, the environment or flags. */
  readonly origins?: ConfigOrigins | undefined;
  /** When given, says whether each secret variable is set (never its value). */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export const REDACTED = '<redacted>';

/** Keys whose values are secrets wherever they appear (e.g. inside MEV or model params). */
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential/i;
/** Query parameters that carry credentials in a URL. */
const SECRET_QUERY = /key|token|secret|sig|pass|auth/i;

export function describeConfig(config: Config, options: DescribeOptions = {}): string {
  const plain = redact(config) as Record<string, unknown>;
  const doc = new YAML.Document(plain);
  for (const { path, source } of options.origins?.values() ?? []) {
    const node: unknown = doc.getIn(path, true);
    if (YAML.isScalar(node) || YAML.isCollection(node)) node.comment = ` from ${source}`;
  }
  const lines = ['# pte effective configuration (secrets redacted)'];
  if (options.env !== undefined) {
    for (const name of SECRET_ENV) {
      lines.push(`# ${name}: ${options.env[name] !== undefined && options.env[name] !== '' ? 'set (not shown)' : 'not set'}`);
    }
  }
  return `${lines.join('\n')}\n${doc.toString({ lineWidth: 0 })}`;
}

/** A deep copy with secrets replaced; bigints stay exact (YAML prints them as plain integers). */
export function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key !== '' && SECRET_KEY.test(key)) return REDACTED;
    if (key === 'conf') return redactClientConf(value);
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactUrl(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (k === 'jupiterUrls' && Array.isArray(v)) {
        out[k] = v.map(redactJupiterEndpoint);
        continue;
      }
      out[k] = SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number') ? REDACTED : redact(v, k);
    }
    return out;
  }
  return value;
}

/**
 * A Jupiter base URL keeps scheme://host[:port] only: hosted plans put a token in the path
 * (https://host/TOKEN), so a path, credentials or a query become "/<redacted>". A {url, label} entry
 * keeps its label.
 */
function redactJupiterEndpoint(entry: unknown): unknown {
  if (typeof entry !== 'string') {
    if (typeof entry === 'object' && entry !== null && 'url' in entry) return { ...entry, url: redactJupiterEndpoint(entry.url) };
    return redact(entry);
  }
  let u: URL;
  try {
    u = new URL(entry);
  } catch {
    return REDACTED;
  }
  const hidden = (u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '';
  return `${u.protocol}//${u.host}${hidden ? `/${REDACTED}` : ''}`;
}

/** redis://user:hunter2@host:6379 -> redis://user:<redacted>@host:6379; credential query params too. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text.replace(/\/\/[^@/]*@/, `//${REDACTED}@`);
  }
  let changed = false;
  if (url.password !== '') {
    url.password = 'REDACTED';
    changed = true;
  } else if (url.username !== '' && /^rediss?:$/.test(url.protocol)) {
    // redis://token@host: a lone user part is the password in Redis URLs.
    url.username = 'REDACTED';
    changed = true;
  }
  for (const k of [...url.searchParams.keys()]) {
    if (SECRET_QUERY.test(k)) {
      url.searchParams.set(k, 'REDACTED');
      changed = true;
    }
  }
  return changed ? url.toString().replaceAll('REDACTED', REDACTED) : text;
}

/** QuestDB client conf "http::addr=h:9000;username=u;password=p;" -> password and tokens redacted. */
export function redactClientConf(conf: string): string {
  return conf.replace(/(^|;|::)\s*([a-z_]*(?:pass|token|secret|key)[a-z_]*)\s*=(?:[^;]|;;)*/gi, `$1$2=${REDACTED}`);
}
