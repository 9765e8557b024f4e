/**
 * The `pte` command: dispatches to a subcommand and maps every failure to one stderr line and an
 * exit code (see errors.ts). Kept apart from main.ts so it can be driven without a process.
 */
import { ConfigError } from '../config/load.js';
import { LedgerConfigError } from '../app.js';
import { UsageError } from './args.js';
import { DB_USAGE, parseDbArgs, runDb } from './db.js';
import { describeCallFailure, EXIT } from './errors.js';
import { EVALUATE_USAGE, parseEvaluateArgs, runEvaluate } from './evaluate.js';
import { EXPORT_USAGE, parseExportArgs, runExport } from './export.js';
import { CallError, ConnectionSetupError, UnreachableError, type CliIo } from './io.js';
import { JUPITER_EMULATOR_USAGE, parseJupiterEmulatorArgs, runJupiterEmulator } from './jupiter-emulator.js';
import { parsePortfolioArgs, PORTFOLIO_USAGE, runPortfolio } from './portfolio.js';
import { parseReplayArgs, REPLAY_USAGE, runReplay } from './replay.js';
import { parseReportArgs, REPORT_USAGE, runReport } from './report.js';
import { parseResetArgs, RESET_USAGE, runReset } from './reset.js';
import { parseServeArgs, runServe, SERVE_USAGE } from './serve.js';
import { parseTradeArgs, runTrade, TRADE_USAGE } from './trade.js';
import { parseTradesArgs, runTrades, TRADES_USAGE } from './trades.js';
import { packageVersion } from './version.js';

export const MAIN_USAGE = `usage: pte <command> [options]

commands:
  serve         run the paper trade executor (gRPC 127.0.0.1:50051, metrics :9464)
  trade         execute one paper trade, e.g. pte trade buy SOL/USDC 1
  portfolio     show a portfolio's balances, value and PnL
  reset         reset a portfolio to its starting balances
  trades        list a portfolio's recent trades
  report        how a strategy did: return vs buy-and-hold, drawdown, costs; --all side by side,
                --html FILE an offline tearsheet
  replay        rebuild the state from the journal or the PostgreSQL ledger (--ledger-url), print
                its hash; --verify re-executes every trade
  export        write the trade history (audit trail) from the journal or the PostgreSQL ledger as
                CSV or JSON lines; export questdb re-sends the journal to QuestDB (after an outage)
  db            the PostgreSQL ledger's schema: db migrate applies pending migrations, db status
                compares the database's version with this executor's
  evaluate      measure paper fills against real recorded trades (fidelity; docs/fidelity.md)
  jupiter-emulator  a local Jupiter API with fault injection, for tests and failover by hand
  help [CMD]    show help for a command

Run pte <command> --help for its options, pte --version for the version.
Exit codes: 0 ok, 1 the executor refused or failed the request, 2 the executor is unreachable,
64 wrong command line, 78 invalid configuration (a setting, a --tls-ca file, a ledger database that
cannot be used as configured).`;

const USAGE: Readonly<Record<string, string>> = {
  serve: SERVE_USAGE,
  trade: TRADE_USAGE,
  portfolio: PORTFOLIO_USAGE,
  reset: RESET_USAGE,
  trades: TRADES_USAGE,
  report: REPORT_USAGE,
  replay: REPLAY_USAGE,
  export: EXPORT_USAGE,
  db: DB_USAGE,
  evaluate: EVALUATE_USAGE,
  'jupiter-emulator': JUPITER_EMULATOR_USAGE,
};

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIo) => Promise<number>>> = {
  serve: (argv, io) => runServe(parseServeArgs(argv), io),
  trade: (argv, io) => runTrade(parseTradeArgs(argv, io.env), io),
  portfolio: (argv, io) => runPortfolio(parsePortfolioArgs(argv, io.env), io),
  reset: (argv, io) => runReset(parseResetArgs(argv, io.env), io),
  trades: (argv, io) => runTrades(parseTradesArgs(argv, io.env), io),
  report: (argv, io) => runReport(parseReportArgs(argv, io.env), io),
  replay: (argv, io) => runReplay(parseReplayArgs(argv), io),
  export: (argv, io) => runExport(parseExportArgs(argv), io),
  db: (argv, io) => runDb(parseDbArgs(argv), io),
  evaluate: (argv, io) => runEvaluate(parseEvaluateArgs(argv), io),
  'jupiter-emulator': (argv, io) => runJupiterEmulator(parseJupiterEmulatorArgs(argv), io),
};

const wantsHelp = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/** Runs `pte argv...` and returns the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.err(MAIN_USAGE);
    return EXIT.usage;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(packageVersion());
    return EXIT.ok;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    const topic = rest[0];
    if (topic === undefined) {
      io.out(MAIN_USAGE);
      return EXIT.ok;
    }
    const usage = USAGE[topic];
    if (usage === undefined) {
      io.err(`pte: no command ${JSON.stringify(topic)}\n\n${MAIN_USAGE}`);
      return EXIT.usage;
    }
    io.out(usage);
    return EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (handler === undefined) {
    io.err(`pte: unknown command ${JSON.stringify(command)}\n\n${MAIN_USAGE}`);
    return EXIT.usage;
  }
  if (wantsHelp(rest)) {
    io.out(USAGE[command] ?? MAIN_USAGE);
    return EXIT.ok;
  }
  try {
    return await handler(rest, io);
  } catch (e) {
    return report(e, command, io);
  }
}

/** One line (or block, for config problems) on stderr and the exit code for a failure. */
function report(e: unknown, command: string, io: CliIo): number {
  if (e instanceof UsageError) {
    io.err(`pte ${e.command ?? command}: ${e.message}\n\n${USAGE[e.command ?? command] ?? MAIN_USAGE}`);
    return EXIT.usage;
  }
  if (e instanceof ConfigError) {
    io.err(`pte: ${e.message}`);
    return EXIT.config;
  }
  if (e instanceof LedgerConfigError) {
    // Its message names ledger.url and shows the URL with the password masked.
    io.err(`pte ${command}: ${e.message}`);
    return EXIT.config;
  }
  if (e instanceof ConnectionSetupError) {
    io.err(`pte: ${e.message}`);
    return EXIT.config;
  }
  if (e instanceof UnreachableError) {
    io.err(e.message);
    return EXIT.unreachable;
  }
  if (e instanceof CallError) {
    const { message, exitCode } = describeCallFailure(e.failure, e.addr);
    io.err(message);
    return exitCode;
  }
  io.err(`pte: ${e instanceof Error ? e.message : String(e)}`);
  return EXIT.failed;
}
