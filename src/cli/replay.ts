/**
 * `pte replay`: rebuilds every portfolio from the journal alone (no network, no snapshot, no running
 * service) and prints the state hashes the live service reports in PortfolioSummary.state_hash.
 * With --verify it also re-executes every recorded trade from its recorded inputs and names every
 * trade whose result differs. With a PostgreSQL ledger it rebuilds from the database's events and
 * also compares each rebuilt state with the state the database stores for that portfolio.
 */
import { resolveConfig } from '../config/load.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import { createTokenRegistry } from '../domain/tokens.js';
import type { Config } from '../config/schema.js';
import { combinedStateHash, portfolioStateHash, readJournal, readPostgresLedger, redactLedgerUrl, type JournalReadReport, type VerifyReport } from '../app.js';
import { parseCommandArgs, UsageError } from './args.js';
import { resolveLedgerConfig } from './db.js';
import { EXIT } from './errors.js';
import { table } from './format.js';
import { toJson, type CliIo } from './io.js';

export const REPLAY_USAGE = `usage: pte replay [--data-dir DIR | --ledger-url URL] [--config FILE] [--verify] [--json]

Rebuilds every portfolio from the journal in the data directory, record by record from the first
(no snapshot, no network, the service need not run), checks every record's checksum and sequence,
and prints each portfolio's state hash: the state_hash a running service shows in
\`pte portfolio --json\`. Equal hashes mean the journal holds exactly what the service reports.

With a PostgreSQL ledger (--ledger-url, else PTE_LEDGER_URL, else ledger.url of --config; unless
--data-dir is given) it reads the database instead, in one read-only snapshot, rebuilds every
portfolio from its ledger events alone, and also compares each rebuilt state's hash with the state
the database stores for that portfolio: any difference is printed and the exit code is 1.

options:
  --data-dir DIR   the journal (default: PTE_DATA_DIR, then dataDir of --config, then ./data);
                   given, the journal is read even when PTE_LEDGER_URL or ledger.url is set
  --ledger-url URL the PostgreSQL ledger, e.g. postgres://pte@db:5432/pte (prefer PTE_LEDGER_URL
                   when it holds a password); never migrated or written
  --config FILE    the service's config file: --verify needs its fee, slippage and MEV settings
  --verify         re-execute every recorded trade from its recorded inputs (prices, quote, seed,
                   model, parameters) and report every trade whose result differs
  --json           machine-readable output

Exit codes: 0 rebuilt (and with --verify every trade reproduced), 1 a trade differs, the journal
is corrupt or a stored state differs from its rebuilt one, 64 wrong command line, 78 invalid
configuration (with a ledger URL: bad URL, refused connection or password, missing database, no
ledger schema or one this executor does not know).`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  'ledger-url': { type: 'string' },
  config: { type: 'string' },
  verify: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface ReplayCommand {
  readonly dataDir: string | undefined;
  /** --ledger-url: read this PostgreSQL ledger (PTE_LEDGER_URL and ledger.url also select one). */
  readonly ledgerUrl?: string | undefined;
  readonly configFile: string | undefined;
  readonly verify: boolean;
  readonly json: boolean;
}

export function parseReplayArgs(argv: readonly string[]): ReplayCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'replay');
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'replay');
  if (values['data-dir'] !== undefined && values['ledger-url'] !== undefined) throw new UsageError('--data-dir and --ledger-url name two different ledgers: give one', 'replay');
  return { dataDir: values['data-dir'], ledgerUrl: values['ledger-url'], configFile: values.config, verify: values.verify === true, json: values.json === true };
}

export interface ReplayOutcome {
  readonly dir: string;
  readonly journal: JournalReadReport;
  readonly portfolios: readonly { readonly portfolioId: string; readonly sequence: number; readonly tradeCount: number; readonly stateHash: string }[];
  readonly stateHash: string;
  readonly verify: VerifyReport | undefined;
}

/** The replay itself, apart from printing: used by the command and by tests. */
export async function replayJournal(cmd: ReplayCommand, env: NodeJS.ProcessEnv): Promise<ReplayOutcome> {
  const { config } = resolveConfig({ file: cmd.configFile, env, flags: cmd.dataDir === undefined ? {} : { dataDir: cmd.dataDir } });
  const tokens = createTokenRegistry();
  const states = new Map<string, PortfolioState>();
  const events: LedgerEvent[] = [];
  const journal = await readJournal(config.dataDir, tokens, (event) => {
    states.set(event.portfolioId, applyEvent(states.get(event.portfolioId), event, tokens.sol));
    if (cmd.verify) events.push(event);
  });
  let verify: VerifyReport | undefined;
  if (cmd.verify) {
    // The composition root builds the pipeline exactly as the service does; loaded only when needed.
    const { pipelineOptions } = await import('../app.js');
    const { verifyEvents } = await import('../executor/replay.js');
    verify = verifyEvents(events, pipelineOptions(config, tokens), tokens.sol);
  }
  const portfolios = [...states.values()]
    .sort((a, b) => (a.portfolioId < b.portfolioId ? -1 : a.portfolioId > b.portfolioId ? 1 : 0))
    .map((s) => ({ portfolioId: s.portfolioId, sequence: s.sequence, tradeCount: s.tradeCount, stateHash: portfolioStateHash(s) }));
  return { dir: config.dataDir, journal, portfolios, stateHash: combinedStateHash(states.values()), verify };
}

/** A portfolio whose state stored in the database differs from the one its events rebuild (or one side lacks it). */
export interface StoredStateMismatch {
  readonly portfolioId: string;
  /** undefined: the database stores no state for a portfolio that has events. */
  readonly storedHash: string | undefined;
  /** undefined: the database stores a state for a portfolio without events. */
  readonly rebuiltHash: string | undefined;
}

export interface LedgerReplayOutcome {
  /** The database's URL, password masked. */
  readonly ledgerUrl: string;
  readonly schemaVersion: number;
  readonly events: number;
  readonly portfolios: ReplayOutcome['portfolios'];
  readonly stateHash: string;
  /** Portfolios whose stored state compared equal to the rebuilt one, and those that did not. */
  readonly stored: { readonly compared: number; readonly mismatches: readonly StoredStateMismatch[] };
  readonly verify: VerifyReport | undefined;
}

/**
 * The replay of a PostgreSQL ledger: every portfolio rebuilt from its events alone, then compared
 * with the state the database stores for it (read in the same snapshot).
 */
export async function replayLedger(url: string, config: Config, verify: boolean): Promise<LedgerReplayOutcome> {
  const tokens = createTokenRegistry();
  const states = new Map<string, PortfolioState>();
  const events: LedgerEvent[] = [];
  const read = await readPostgresLedger(url, tokens, (event) => {
    states.set(event.portfolioId, applyEvent(states.get(event.portfolioId), event, tokens.sol));
    if (verify) events.push(event);
  });
  const report = verify ? await verifyAll(events, config, tokens) : undefined;
  const portfolios = summaries(states);
  const mismatches: StoredStateMismatch[] = [];
  const ids = [...new Set([...states.keys(), ...read.states.keys()])].sort(byCodeUnit);
  for (const id of ids) {
    const rebuilt = states.get(id);
    const stored = read.states.get(id);
    const rebuiltHash = rebuilt && portfolioStateHash(rebuilt);
    const storedHash = stored && portfolioStateHash(stored);
    if (rebuiltHash !== storedHash) mismatches.push({ portfolioId: id, storedHash, rebuiltHash });
  }
  return {
    ledgerUrl: redactLedgerUrl(url),
    schemaVersion: read.schemaVersion,
    events: read.events,
    portfolios,
    stateHash: combinedStateHash(states.values()),
    stored: { compared: ids.length, mismatches },
    verify: report,
  };
}

async function verifyAll(events: readonly LedgerEvent[], config: Config, tokens: ReturnType<typeof createTokenRegistry>): Promise<VerifyReport> {
  // The composition root builds the pipeline exactly as the service does; loaded only when needed.
  const { pipelineOptions } = await import('../app.js');
  const { verifyEvents } = await import('../executor/replay.js');
  return verifyEvents(events, pipelineOptions(config, tokens), tokens.sol);
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function summaries(states: ReadonlyMap<string, PortfolioState>): ReplayOutcome['portfolios'] {
  return [...states.values()]
    .sort((a, b) => byCodeUnit(a.portfolioId, b.portfolioId))
    .map((s) => ({ portfolioId: s.portfolioId, sequence: s.sequence, tradeCount: s.tradeCount, stateHash: portfolioStateHash(s) }));
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

export async function runReplay(cmd: ReplayCommand, io: CliIo): Promise<number> {
  if (cmd.dataDir === undefined) {
    const { config } = resolveLedgerConfig(cmd.ledgerUrl, cmd.configFile, io.env);
    if (config.ledger.url !== undefined) return printLedgerReplay(await replayLedger(config.ledger.url, config, cmd.verify), cmd, io);
  }
  const r = await replayJournal(cmd, io.env);
  const failed = (r.verify?.mismatches.length ?? 0) > 0;
  if (cmd.json) {
    io.out(toJson({ dataDir: r.dir, ...r.journal, portfolios: r.portfolios, stateHash: r.stateHash, verify: r.verify }));
    return failed ? EXIT.failed : EXIT.ok;
  }
  const j = r.journal;
  io.out(`journal ${r.dir}: ${j.records} records in ${j.segments} segment${j.segments === 1 ? '' : 's'} (${mib(j.bytes)}), last sequence ${j.lastSeq}`);
  const t = j.tornTail;
  if (t?.complete) {
    io.err(
      `pte replay: warning: ${t.segment} ends with a damaged record at byte ${t.offset} (sequence ${t.seq}: ${t.reason}); it was written whole and may have been acknowledged. ` +
        'It is not replayed; the service keeps its bytes in a quarantine file next to the segment when it starts.',
    );
  } else if (t) {
    io.err(`pte replay: note: ${t.segment} ends with an incomplete record at byte ${t.offset} (${t.reason}); it was never acknowledged and is ignored`);
  }
  io.out('');
  printStates(r, io);
  return failed ? EXIT.failed : EXIT.ok;
}

/** The table of portfolios, the combined hash and the --verify findings: the same for both stores. */
function printStates(r: Pick<ReplayOutcome, 'portfolios' | 'stateHash' | 'verify'>, io: CliIo): void {
  io.out(
    table(
      ['portfolio', 'trades', 'events', 'state hash'],
      r.portfolios.map((p) => [p.portfolioId, String(p.tradeCount), String(p.sequence), p.stateHash]),
      ['left', 'right', 'right', 'left'],
    ),
  );
  io.out(`\nstate hash (all portfolios): ${r.stateHash}`);
  if (r.verify) {
    const v = r.verify;
    io.out(`\nverify: ${v.trades} trades re-executed from their recorded inputs; ${v.mismatches.length === 0 ? 'every one reproduced exactly' : `${v.mismatches.length} differ:`}`);
    for (const m of v.mismatches) {
      io.out(`  trade ${m.tradeId} (portfolio ${m.portfolioId}, sequence ${m.sequence})`);
      for (const d of m.differences) io.out(`    ${d}`);
    }
  }
}

function printLedgerReplay(r: LedgerReplayOutcome, cmd: ReplayCommand, io: CliIo): number {
  const failed = r.stored.mismatches.length > 0 || (r.verify?.mismatches.length ?? 0) > 0;
  if (cmd.json) {
    io.out(toJson({ source: { ledgerUrl: r.ledgerUrl, schemaVersion: r.schemaVersion }, events: r.events, portfolios: r.portfolios, stateHash: r.stateHash, stored: r.stored, verify: r.verify }));
    return failed ? EXIT.failed : EXIT.ok;
  }
  io.out(`ledger ${r.ledgerUrl}: ${r.events} events, schema version ${r.schemaVersion}`);
  io.out('');
  printStates(r, io);
  const s = r.stored;
  io.out(
    `\nstored states: ${s.compared} compared with their rebuilt states; ${s.mismatches.length === 0 ? 'every one equal' : `${s.mismatches.length} differ:`}`,
  );
  for (const m of s.mismatches) {
    io.out(`  portfolio ${m.portfolioId}: stored ${m.storedHash ?? '(no stored state)'}, rebuilt from its events ${m.rebuiltHash ?? '(no events)'}`);
  }
  return failed ? EXIT.failed : EXIT.ok;
}
