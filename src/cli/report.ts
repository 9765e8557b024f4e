/**
 * `pte report`: how a strategy did. One portfolio's summary (value, return against buy-and-hold, PnL,
 * drawdown, Sharpe and Sortino, trades, what realism cost, per-tag and per-token results), every
 * portfolio side by side (--all), the proto3 JSON (--json), or a self-contained HTML tearsheet (--html).
 */
import { writeFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import type { ExecutorClient, PortfolioReportMessage } from '../client/index.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, parseCommandArgs, resolveConnection, UsageError, type ClientConnection } from './args.js';
import { isCallFailure } from './errors.js';
import { toJson, withClient, type CliIo } from './io.js';
import { formatComparison, formatReport, toProto3Json, type ReportRow } from './report-format.js';
import { renderTearsheet } from './tearsheet.js';

export const REPORT_USAGE = `usage: pte report [--portfolio ID | --all] [--from T] [--to T] [--group-by KEY]
                  [--json | --html FILE] [connection options]

How a portfolio did over a time range (default: its whole history): value and return against
buy-and-hold, realized and unrealized PnL, drawdown, Sharpe and Sortino, trades by status, win rate and
profit factor, what realism cost (fees, slippage, price impact, MEV, failed trades), and results per
tag and per token. Definitions: docs/reports.md.
  --portfolio ID   the portfolio (default "default"; also as the first argument)
  --all            every portfolio, side by side (value, return, drawdown, trades, fees, cost)
  --from T         start of the range; --to T end of the range (default: now). T is ISO 8601
                   (2025-01-31, 2025-01-31T14:00Z, 2025-01-31T14:00:00+02:00; UTC unless an offset is
                   given), "now", or a time before now: 90s, 30m, 24h, 7d, 2w (a leading - is allowed)
  --group-by KEY   the request metadata key the per-tag results use (default "strategy")
  --json           the response as proto3 JSON (with --all: {"portfolios": [...], "reports": [...]})
  --html FILE      write a self-contained HTML tearsheet (charts included; opens offline)

${CONNECTION_USAGE}`;

const OPTIONS = {
  portfolio: { type: 'string' },
  all: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  'group-by': { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'string' },
  ...CONNECTION_OPTIONS,
} as const;

export interface ReportCommand {
  /** "" = default; undefined with --all. */
  readonly portfolioId: string | undefined;
  readonly all: boolean;
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  readonly groupBy: string | undefined;
  readonly json: boolean;
  readonly html: string | undefined;
  readonly addr: string;
  readonly connection: ClientConnection;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A --from/--to value as ms since the epoch: ISO 8601 (a date, or a date and time, UTC unless an
 * offset is given), "now", or a span before now ("24h", "-7d"). UsageError naming the flag otherwise.
 */
export function parseTime(flag: string, text: string, nowMs: number): number {
  const t = text.trim();
  if (t === 'now') return nowMs;
  const rel = /^-?(\d{1,9})([smhdw])$/.exec(t);
  if (rel) return nowMs - Number(rel[1]) * (UNIT_MS[rel[2] ?? 's'] ?? 0);
  const m = ISO.exec(t);
  if (m) {
    const [, y, mo, d, hh, mi, ss, frac, zone] = m;
    const iso = `${y}-${mo}-${d}T${hh ?? '00'}:${mi ?? '00'}:${ss ?? '00'}${frac !== undefined ? frac.slice(0, 4).padEnd(4, '0') : '.000'}${zone === undefined ? 'Z' : zone.toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`;
    const ms = Date.parse(iso);
    // Date.parse rolls 2025-02-30 over to March: a date that is not on the calendar is refused.
    const roundTrip = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`)).toISOString().slice(0, 10);
    if (Number.isFinite(ms) && roundTrip === `${y}-${mo}-${d}` && Number(hh ?? 0) < 24 && Number(mi ?? 0) < 60 && Number(ss ?? 0) < 60) return ms;
  }
  throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a time: give ISO 8601 (2025-01-31 or 2025-01-31T14:00Z), "now", or a span before now (30m, 24h, 7d)`, 'report');
}

export function parseReportArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}, nowMs = Date.now()): ReportCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'report');
  const connection = resolveConnection(values, env, 'report');
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, 'report');
  const positional = positionals[0];
  if (positional !== undefined && values.portfolio !== undefined && positional !== values.portfolio) {
    throw new UsageError(`give the portfolio once: --portfolio ${JSON.stringify(values.portfolio)} and ${JSON.stringify(positional)}`, 'report');
  }
  const all = values.all === true;
  const named = values.portfolio ?? positional;
  if (all && named !== undefined) throw new UsageError('--all and --portfolio: choose one', 'report');
  if (values.json === true && values.html !== undefined) throw new UsageError('--json and --html: choose one', 'report');
  if (values.html === '') throw new UsageError('--html: give the file to write', 'report');
  if (values['group-by'] === '') throw new UsageError('--group-by: empty; give a metadata key (default "strategy")', 'report');
  const fromMs = values.from === undefined ? undefined : parseTime('--from', values.from, nowMs);
  const toMs = values.to === undefined ? undefined : parseTime('--to', values.to, nowMs);
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    throw new UsageError(`--from: ${new Date(fromMs).toISOString()} is after --to (${new Date(toMs).toISOString()})`, 'report');
  }
  return {
    portfolioId: all ? undefined : (named ?? ''),
    all,
    fromMs,
    toMs,
    groupBy: values['group-by'],
    json: values.json === true,
    html: values.html,
    addr: connection.addr,
    connection,
  };
}

function query(cmd: ReportCommand, portfolioId: string): Parameters<ExecutorClient['getReport']>[0] {
  return {
    portfolioId,
    ...(cmd.fromMs === undefined ? {} : { from: cmd.fromMs }),
    ...(cmd.toMs === undefined ? {} : { to: cmd.toMs }),
    ...(cmd.groupBy === undefined ? {} : { groupBy: cmd.groupBy }),
  };
}

/** The report's fields in the contract's order (the decoder puts repeated fields first). */
const REPORT_FIELDS = [
  'portfolioId', 'from', 'to', 'startValueUsd', 'endValueUsd', 'totalReturn', 'realizedPnlUsd', 'unrealizedPnlUsd', 'equity', 'markCount',
  'drawdown', 'dailyReturns', 'sharpe', 'sortino', 'ratioMethod', 'benchmarkStartUsd', 'benchmarkEndUsd', 'benchmarkReturn', 'excessReturn',
  'trades', 'closes', 'tokens', 'groupBy', 'groups', 'costs', 'startValueSol', 'endValueSol',
] as const satisfies readonly (keyof PortfolioReportMessage)[];

/** The report as proto3 JSON, its fields in the contract's order with the equity curve last (it is long). */
export function reportJson(r: PortfolioReportMessage): unknown {
  const json = toProto3Json(r) as Record<string, unknown>;
  const order = [...REPORT_FIELDS.filter((k) => k !== 'equity'), 'equity'];
  return Object.fromEntries([...order, ...Object.keys(json)].filter((k, i, all) => k in json && all.indexOf(k) === i).map((k) => [k, json[k]]));
}

/** Answers that mean "no report for this portfolio" (no mark in the range, or gone meanwhile), not a failure of the command. */
const NO_REPORT: ReadonlySet<number> = new Set<number>([status.FAILED_PRECONDITION, status.NOT_FOUND]);

function writeHtml(io: CliIo, file: string, html: string): void {
  writeFileSync(file, html, 'utf8');
  io.out(`wrote ${file} (${Buffer.byteLength(html)} bytes): open it in a browser; it needs no network`);
}

export async function runReport(cmd: ReportCommand, io: CliIo, nowMs: () => number = Date.now): Promise<number> {
  if (!cmd.all) {
    const report = await withClient(io, cmd.connection, (client) => client.getReport(query(cmd, cmd.portfolioId ?? '')));
    if (cmd.html !== undefined) writeHtml(io, cmd.html, renderTearsheet([report], { generatedAtMs: nowMs() }));
    else io.out(cmd.json ? toJson(reportJson(report)) : formatReport(report));
    return 0;
  }
  const { portfolios, rows } = await withClient(io, cmd.connection, async (client) => {
    const list = await client.listPortfolios();
    const out: ReportRow[] = [];
    for (const p of list.portfolios) {
      try {
        out.push({ portfolioId: p.portfolioId, report: await client.getReport(query(cmd, p.portfolioId)) });
      } catch (e) {
        // A portfolio with no mark in the range (or reset inside it) has no report; the others still do.
        if (!isCallFailure(e) || !NO_REPORT.has(e.code)) throw e;
        out.push({ portfolioId: p.portfolioId, error: e.details });
      }
    }
    return { portfolios: list.portfolios, rows: out };
  });
  const reports = rows.flatMap((r) => ('report' in r ? [r.report] : []));
  if (cmd.html !== undefined) writeHtml(io, cmd.html, renderTearsheet(reports, { generatedAtMs: nowMs(), rows }));
  else if (cmd.json) io.out(toJson({ portfolios: toProto3Json(portfolios), reports: reports.map(reportJson) }));
  else io.out(formatComparison(rows));
  return 0;
}
