/**
 * `pte db`: the PostgreSQL ledger's schema. `migrate` applies the versioned migrations the database
 * lacks (as the service does at start), `status` compares the database's version with this code's.
 * Also where every command finds the ledger database: --ledger-url, else PTE_LEDGER_URL, else
 * ledger.url of --config.
 */
import { resolveConfig, type ResolvedConfig } from '../config/load.js';
import { ledgerSchemaStatus, migrateLedger, redactLedgerUrl } from '../app.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './errors.js';
import { toJson, type CliIo } from './io.js';

export const DB_USAGE = `usage: pte db migrate [--ledger-url URL] [--config FILE]
       pte db status [--ledger-url URL] [--config FILE] [--json]

The PostgreSQL ledger's schema (the file journal has none). Migrations are versioned files shipped
with the executor; each is applied in its own transaction. The service applies missing migrations
itself when it starts; several executors starting at once are safe.

  migrate   apply every migration the database lacks, print each one applied and the resulting
            schema version ("already at version N" when there is nothing to do)
  status    read-only: the database's schema version, this executor's latest, the pending migrations

options:
  --ledger-url URL  the ledger database, e.g. postgres://pte@db:5432/pte (default: PTE_LEDGER_URL,
                    then ledger.url of --config); prefer PTE_LEDGER_URL when the URL holds a password
  --config FILE     a config file (for its ledger.url)
  --json            machine-readable output (status)

Exit codes: 0 done (status: the schema is current), 1 status: migrations are pending, 64 wrong
command line or no ledger database given, 78 the database cannot be used as configured (bad URL,
refused connection or password, missing database, a schema version this executor does not know);
nothing is written then.`;

const OPTIONS = {
  'ledger-url': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface DbCommand {
  readonly action: 'migrate' | 'status';
  readonly ledgerUrl: string | undefined;
  readonly configFile: string | undefined;
  readonly json: boolean;
}

export function parseDbArgs(argv: readonly string[]): DbCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'db');
  const [action, extra] = positionals;
  if (action === undefined) throw new UsageError('which one: pte db migrate or pte db status?', 'db');
  if (action !== 'migrate' && action !== 'status') throw new UsageError(`unknown action ${JSON.stringify(action)} (migrate or status)`, 'db');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, 'db');
  if (action === 'migrate' && values.json === true) throw new UsageError('--json belongs to pte db status', 'db');
  return { action, ledgerUrl: values['ledger-url'], configFile: values.config, json: values.json === true };
}

/**
 * The configuration with the ledger URL from the flag, the environment (PTE_LEDGER_URL) or the file,
 * in that order of precedence; ledger.url is undefined when none of them sets it.
 */
export function resolveLedgerConfig(ledgerUrl: string | undefined, configFile: string | undefined, env: NodeJS.ProcessEnv): ResolvedConfig {
  return resolveConfig({ file: configFile, env, flags: ledgerUrl === undefined ? {} : { ledger: { url: ledgerUrl } } });
}

/** What to say when a command needs the ledger database and nothing names it. */
export const NO_LEDGER_URL = 'no ledger database: pass --ledger-url URL, set PTE_LEDGER_URL, or set ledger.url in the file given with --config';

export async function runDb(cmd: DbCommand, io: CliIo): Promise<number> {
  const url = resolveLedgerConfig(cmd.ledgerUrl, cmd.configFile, io.env).config.ledger.url;
  if (url === undefined) throw new UsageError(NO_LEDGER_URL, 'db');
  const where = redactLedgerUrl(url);
  if (cmd.action === 'migrate') {
    const report = await migrateLedger(url);
    for (const m of report.applied) io.out(`applied ${String(m.version).padStart(4, '0')} ${m.name}`);
    io.out(report.applied.length === 0 ? `ledger ${where}: already at version ${report.to}` : `ledger ${where}: schema version ${report.from} -> ${report.to}`);
    return EXIT.ok;
  }
  const s = await ledgerSchemaStatus(url);
  if (cmd.json) {
    io.out(toJson({ ledgerUrl: where, version: s.version, latest: s.latest, pending: s.pending }));
  } else {
    io.out(`ledger ${where}: schema version ${s.version}, this executor's latest ${s.latest}`);
    if (s.pending.length === 0) io.out('up to date');
    else {
      io.out(`${s.pending.length} pending (pte db migrate applies them; so does pte serve at start):`);
      for (const m of s.pending) io.out(`  ${String(m.version).padStart(4, '0')} ${m.name}`);
    }
  }
  return s.pending.length === 0 ? EXIT.ok : EXIT.failed;
}
