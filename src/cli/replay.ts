/**
 * `pte replay`: rebuilds every portfolio from the journal alone (no network, no snapshot, no running
 * service) and prints the state hashes the live service reports in PortfolioSummary.state_hash.
 * With --verify it also re-executes every recorded trade from its recorded inputs and names every
 * trade whose result differs.
 */
import { resolveConfig } from '../config/load.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import { createTokenRegistry } from '../domain/tokens.js';
import { combinedStateHash, portfolioStateHash, readJournal, type JournalReadReport, type VerifyReport } from '../app.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './errors.js';
import { table } from './format.js';
import { toJson, type CliIo } from './io.js';

export const REPLAY_USAGE = `usage: pte replay [--data-dir DIR] [--config FILE] [--verify] [--json]

Rebuilds every portfolio from the journal in the data directory, record by record from the first
(no snapshot, no network, the service need not run), checks every record's checksum and sequence,
and prints each portfolio's state hash: the state_hash a running service shows in
\`pte portfolio --json\`. Equal hashes mean the journal holds exactly what the service reports.

options:
  --data-dir DIR   the journal (default: PTE_DATA_DIR, then dataDir of --config, then ./data)
  --config FILE    the service's config file: --verify needs its fee, slippage and MEV settings
  --verify         re-execute every recorded trade from its recorded inputs (prices, quote, seed,
                   model, parameters) and report every trade whose result differs
  --json           machine-readable output

Exit codes: 0 rebuilt (and with --verify every trade reproduced), 1 a trade differs or the journal
is corrupt, 64 wrong command line, 78 invalid configuration.`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  verify: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface ReplayCommand {
  readonly dataDir: string | undefined;
  readonly configFile: string | undefined;
  readonly verify: boolean;
  readonly json: boolean;
}

export function parseReplayArgs(argv: readonly string[]): ReplayCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'replay');
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'replay');
  return { dataDir: values['data-dir'], configFile: values.config, verify: values.verify === true, json: values.json === true };
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

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

export async function runReplay(cmd: ReplayCommand, io: CliIo): Promise<number> {
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
  return failed ? EXIT.failed : EXIT.ok;
}
