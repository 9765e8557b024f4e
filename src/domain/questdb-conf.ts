/**
 * QuestDB client configuration strings (`http::addr=host:9000;username=...;`), read the way the
 * official clients read them. The recorder needs three things from one without ever printing it:
 * the address to log, whether it carries credentials (allowed only from the environment), and a copy
 * with the settings the recorder must own (its own flushing) forced.
 *
 * A pure value format, like a URL: it lives in domain/ so that the config (which validates a conf
 * before anything starts) and the QuestDB adapters in store/ (which use it) read it the same way.
 */

/** Keys whose values are secrets: never logged, and accepted only from QDB_CLIENT_CONF. */
export const CREDENTIAL_KEYS: readonly string[] = ['username', 'password', 'token', 'token_x', 'token_y', 'tls_roots_password'];

export interface ClientConf {
  /** http, https, tcp or tcps. */
  readonly schema: string;
  readonly entries: ReadonlyMap<string, string>;
}

/** The conf is malformed; the message names the problem, never a value. */
export class ClientConfError extends Error {
  override readonly name = 'ClientConfError';
}

/**
 * Parses `schema::k=v;k=v;` with `;;` as an escaped semicolon inside a value (the clients' rule).
 * Values are kept verbatim; the client itself validates keys and values again.
 */
export function parseClientConf(conf: string): ClientConf {
  const sep = conf.indexOf('::');
  if (sep <= 0) throw new ClientConfError("missing schema: the format is 'http::addr=host:port;'");
  const schema = conf.slice(0, sep);
  if (!['http', 'https', 'tcp', 'tcps'].includes(schema)) throw new ClientConfError(`schema ${JSON.stringify(schema)} is not http, https, tcp or tcps`);
  const entries = new Map<string, string>();
  let i = sep + 2;
  while (i < conf.length) {
    const eq = conf.indexOf('=', i);
    if (eq < 0) throw new ClientConfError(`a setting without '=' at position ${i}`);
    const key = conf.slice(i, eq).trim();
    if (!/^[a-z_]+$/.test(key)) throw new ClientConfError(`invalid key at position ${i}`);
    let value = '';
    let j = eq + 1;
    for (; j < conf.length; j++) {
      const ch = conf.charAt(j);
      if (ch === ';') {
        if (conf[j + 1] === ';') {
          value += ';';
          j++;
          continue;
        }
        break;
      }
      value += ch;
    }
    entries.set(key, value);
    i = j + 1;
  }
  if (!entries.has('addr')) throw new ClientConfError("missing 'addr' (e.g. http::addr=localhost:9000;)");
  return { schema, entries };
}

/** `http://host:port`: all a log line or an error message may say about the destination. */
export function describeConf(conf: string): string {
  try {
    const c = parseClientConf(conf);
    return `${c.schema}://${c.entries.get('addr') ?? '?'}`;
  } catch {
    return '<invalid QuestDB conf>';
  }
}

export function hasCredentials(conf: string): boolean {
  try {
    const { entries } = parseClientConf(conf);
    return CREDENTIAL_KEYS.some((k) => entries.has(k));
  } catch {
    return false;
  }
}

/** The credential values the conf holds: text quoting any of them must not be logged (see redactUpstreamText). */
export function confSecrets(conf: string): string[] {
  try {
    const { entries } = parseClientConf(conf);
    return CREDENTIAL_KEYS.map((k) => entries.get(k) ?? '').filter((v) => v !== '');
  } catch {
    return [];
  }
}

/** The conf with `overrides` replacing (or adding) settings, `;` in values escaped again. */
export function withSettings(conf: string, overrides: Readonly<Record<string, string>>): string {
  const c = parseClientConf(conf);
  const entries = new Map(c.entries);
  for (const [k, v] of Object.entries(overrides)) entries.set(k, v);
  return `${c.schema}::${[...entries].map(([k, v]) => `${k}=${v.replaceAll(';', ';;')};`).join('')}`;
}

/**
 * Throws when a conf holding credentials came from anywhere but the environment: a flag shows in
 * the process list and shell history, a config file gets committed. `source` is the loader's origin
 * ("env QDB_CLIENT_CONF", "flag --questdb", a file name).
 */
export function assertCredentialsFromEnv(conf: string, source: string): void {
  if (!source.startsWith('env') && hasCredentials(conf)) {
    throw new ClientConfError(
      `the QuestDB conf from ${source} holds credentials (${CREDENTIAL_KEYS.join(', ')}); put the whole conf in the QDB_CLIENT_CONF environment variable instead`,
    );
  }
}
