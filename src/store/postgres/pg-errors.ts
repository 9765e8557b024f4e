/**
 * What a failure of the database means for the ledger: a configuration problem to report and stop
 * on (LedgerConfigError), a transient one to retry (lost connection, serialization failure), or
 * anything else (a bug, a broken constraint), which propagates as it is. Messages name the setting
 * and show the URL with its password masked: a password never reaches a log or a client.
 */
import pg from 'pg';

/** The setting that names the ledger database, as every message about it calls it. */
export const LEDGER_URL_SETTING = 'ledger.url';

/**
 * The ledger database cannot be used as configured: bad URL, unknown host, refused connection, wrong
 * password, missing database, or a schema this code does not know. The command exits 78 (EX_CONFIG)
 * and nothing has been written.
 */
export class LedgerConfigError extends Error {
  override readonly name = 'LedgerConfigError';
}

/** The URL with any password replaced by "***" (an unparseable URL is not shown at all). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass|secret|key/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Checks the URL's syntax; LedgerConfigError naming the setting when it is not a PostgreSQL URL. */
export function checkLedgerUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LedgerConfigError(`${LEDGER_URL_SETTING}: not a valid URL (expected postgres://user:password@host:5432/database)`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new LedgerConfigError(`${LEDGER_URL_SETTING} ${redactUrl(url)}: the scheme must be postgres:// or postgresql://`);
  }
  if (u.hostname === '' && !u.searchParams.has('host')) throw new LedgerConfigError(`${LEDGER_URL_SETTING} ${redactUrl(url)}: no host`);
}

interface PgErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
}

const codeOf = (err: unknown): string => {
  const code = (err as PgErrorLike | null)?.code;
  return typeof code === 'string' ? code : '';
};

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03']);

/**
 * A failure of the connection, not of the statement: the server went away, refused or could not be
 * reached, or the client gave up waiting. The database's availability depends on these only.
 */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  const m = messageOf(err);
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|not queryable|socket hang up/i.test(m);
}

/**
 * Worth running the transaction again: a lost connection, a serialization failure or deadlock, a
 * statement cancelled by statement_timeout under contention, and a duplicate request key (the retry
 * then finds the booked trade under the lock). Errors of the executor itself (ExecutorError) never.
 */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  if (code === '23505') return RETRIED_KEYS.has(String((err as { constraint?: unknown }).constraint));
  return isConnectionError(err) || code === '40001' || code === '40P01' || code === '57014' || code === '55P03';
}

/** Keys whose duplicate means a concurrent writer got there first; any other duplicate is a bug. */
const RETRIED_KEYS = new Set(['trade_requests_pkey', 'portfolios_pkey']);

/** The configuration error a failure to connect at start means, or undefined when it is something else. */
export function configErrorOf(err: unknown, url: string): LedgerConfigError | undefined {
  const code = codeOf(err);
  const where = `${LEDGER_URL_SETTING} ${redactUrl(url)}`;
  const reason: Record<string, string> = {
    '28P01': 'the password was refused (password authentication failed)',
    '28000': 'the user is not allowed to connect (no such role, or pg_hba.conf refuses it)',
    '3D000': 'the database does not exist',
    ECONNREFUSED: 'the connection was refused (is PostgreSQL running on that host and port?)',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name does not resolve (DNS is not answering)',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'the host cannot be reached',
    ENETUNREACH: 'the network cannot be reached',
  };
  const known = reason[code];
  if (known !== undefined) return new LedgerConfigError(`${where}: ${known}`);
  if (isConnectionError(err)) return new LedgerConfigError(`${where}: cannot connect (${scrub(messageOf(err), url)})`);
  return undefined;
}

/** A message with the URL's password removed, should a driver message ever quote it. */
export function scrub(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return message;
  }
  return password === '' ? message : message.split(password).join('***');
}

/**
 * A single connection for a one-off task (the migrator, `pte db status`, the reader): the URL checked,
 * a refused or rejected connection turned into LedgerConfigError naming ledger.url, and a connection
 * lost while idle left for the next query to report.
 */
export async function connectOnce(url: string, applicationName: string): Promise<pg.Client> {
  checkLedgerUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: applicationName });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw configErrorOf(err, url) ?? err;
  }
  return client;
}
