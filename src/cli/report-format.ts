/**
 * `pte report` output: the readable summary of one PortfolioReport, the side-by-side table of many,
 * and the report as proto3 JSON. Pure functions of the wire messages; numbers are rounded for reading
 * (the JSON keeps the exact decimal strings).
 */
import { add, fromDecimalString, toDecimalString, ZERO, type Ratio } from '../domain/ratio.js';
import type { CostBreakdownMessage, GroupResultMessage, PortfolioReportMessage, TimestampMessage, TokenResultMessage, TradeCountsMessage } from '../client/index.js';
import { fields, groupDigits, roundDecimal, symbolOf, table, timestamp, usd } from './format.js';

/** The cost components in the order they are shown, with their labels (docs/reports.md). */
export const COST_ROWS: readonly (readonly [keyof CostBreakdownMessage, string])[] = [
  ['baseFeesUsd', 'base network fees'],
  ['priorityFeesUsd', 'priority fees'],
  ['rentUsd', 'account rent'],
  ['slippageUsd', 'slippage'],
  ['priceImpactUsd', 'price impact'],
  ['mevLossUsd', 'MEV loss'],
  ['failedTradeFeesUsd', 'failed-trade fees'],
];

/** USD with cents, or up to 6 decimals below one dollar so small fees do not read as $0.00. */
export function usdFine(decimal: string): string {
  if (!/^-?\d+(?:\.\d+)?$/.test(decimal)) return usd(decimal);
  const abs = decimal.replace(/^-/, '');
  if (Number(abs) >= 1 || /^0(?:\.0*)?$/.test(abs)) return usd(decimal);
  const r = roundDecimal(decimal, 6);
  const sign = r.startsWith('-') ? '-' : '';
  const [int = '0', frac = ''] = r.replace(/^-/, '').split('.');
  return `${sign}$${int}.${frac.padEnd(2, '0')}`;
}

/** A fraction as a percentage, "12.34 %"; signed ("+1.20 %") when asked; "-" when absent. */
export function percent(x: number | undefined, signed = false): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  const p = (x * 100).toFixed(2);
  return `${signed && x > 0 ? '+' : ''}${p === '-0.00' ? '0.00' : p} %`;
}

export const ratioText = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2));

/** "2d 3h", "5h 12m", "42m", "17s" */
export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

export const msOf = (t: TimestampMessage | null | undefined): number | undefined =>
  t && /^-?\d+$/.test(t.seconds) ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : undefined;

const dec = (s: string | undefined): Ratio => (s !== undefined && /^-?\d+(?:\.\d+)?$/.test(s) ? fromDecimalString(s) : ZERO);
/** Sums of 6-place decimals are exact at 6 places. */
const decimalText = (r: Ratio): string => toDecimalString(r, 6, 'floor');

/** Every network fee the report counts (base, priority, rent, failed trades), exact, as a decimal. */
export function feesUsd(c: CostBreakdownMessage | null): string {
  if (!c) return '0';
  return decimalText([c.baseFeesUsd, c.priorityFeesUsd, c.rentUsd, c.failedTradeFeesUsd].map(dec).reduce(add, ZERO));
}

export function tradeCountsText(t: TradeCountsMessage | null): string {
  if (!t) return '-';
  const parts = [`${groupDigits(t.filled)} filled`];
  if (t.failedSlippage !== '0') parts.push(`${groupDigits(t.failedSlippage)} failed on slippage`);
  if (t.failedMev !== '0') parts.push(`${groupDigits(t.failedMev)} failed on MEV`);
  return `${groupDigits(t.total)} (${parts.join(', ')})`;
}

function valueLine(r: PortfolioReportMessage): string {
  const sol = r.startValueSol !== '' && r.endValueSol !== '' ? `  (${roundDecimal(r.startValueSol, 4)} SOL -> ${roundDecimal(r.endValueSol, 4)} SOL)` : '';
  return `${usd(r.startValueUsd)} -> ${usd(r.endValueUsd)}${sol}`;
}

function returnLine(r: PortfolioReportMessage): string {
  const excess = r.excessReturn === undefined ? '' : `, excess ${percent(r.excessReturn, true)}`;
  return `${percent(r.totalReturn, true)}  vs buy-and-hold ${percent(r.benchmarkReturn, true)} (${usd(r.benchmarkStartUsd)} -> ${usd(r.benchmarkEndUsd)})${excess}`;
}

function drawdownLine(r: PortfolioReportMessage): string {
  const d = r.drawdown;
  if (!d) return '-';
  const peak = msOf(d.maxPeakAt);
  const trough = msOf(d.maxTroughAt);
  const when = d.maxPeakAt && d.maxTroughAt ? `, ${timestamp(d.maxPeakAt)} to ${timestamp(d.maxTroughAt)}` : '';
  const max = `max ${percent(d.max)} (${usd(d.maxUsd)}${when}${peak !== undefined && trough !== undefined ? `, ${duration(trough - peak)} peak to trough` : ''})`;
  return `${max}; current ${percent(d.current)}; longest ${duration(Number(d.longestDurationMs))}`;
}

function closesLine(r: PortfolioReportMessage): string {
  const c = r.closes;
  if (!c || c.closes === '0') return 'no closed positions';
  return `${groupDigits(c.closes)} closed (${c.wins} won, ${c.losses} lost): win rate ${percent(c.winRate)}, profit factor ${ratioText(c.profitFactor)} (won ${usd(c.grossProfitUsd)}, lost ${usd(c.grossLossUsd)})`;
}

/** The "what realism cost" table: each component, then the total. */
export function costsTable(c: CostBreakdownMessage | null, indent = '  '): string {
  if (!c) return `${indent}-`;
  const rows = COST_ROWS.map(([k, label]) => [label, usdFine(c[k])]);
  rows.push(['total', usdFine(c.totalUsd)]);
  return table(['component', 'USD'], rows, ['left', 'right'], indent);
}

const groupLabel = (g: GroupResultMessage): string => (g.untagged ? '(untagged)' : g.value);

export function groupsTable(groups: readonly GroupResultMessage[], indent = '  '): string {
  const rows = groups.map((g) => [
    groupLabel(g),
    groupDigits(g.trades?.total ?? '0'),
    groupDigits(g.trades?.filled ?? '0'),
    groupDigits(String(Number(g.trades?.failedSlippage ?? 0) + Number(g.trades?.failedMev ?? 0))),
    usd(g.volumeUsd),
    usd(g.realizedPnlUsd),
    percent(g.closes?.winRate),
    usdFine(g.costs?.totalUsd ?? '0'),
  ]);
  return table(['value', 'trades', 'filled', 'failed', 'volume', 'realized PnL', 'win rate', 'cost'], rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'], indent);
}

export function tokensTable(tokens: readonly TokenResultMessage[], indent = '  '): string {
  const amount = (s: string): string => groupDigits(roundDecimal(s, 6));
  const rows = tokens.map((t) => [symbolOf(t.token), amount(t.startAmount), amount(t.endAmount), usd(t.realizedPnlUsd), usd(t.unrealizedPnlUsd), usd(t.endValueUsd)]);
  return table(['token', 'start', 'end', 'realized PnL', 'unrealized PnL', 'end value'], rows, ['left', 'right', 'right', 'right', 'right', 'right'], indent);
}

/** The readable summary of one report (`pte report`). */
export function formatReport(r: PortfolioReportMessage): string {
  const out: string[] = [];
  out.push(`portfolio ${r.portfolioId}: ${timestamp(r.from)} to ${timestamp(r.to)} (${groupDigits(r.markCount)} marks)`);
  out.push(
    fields([
      ['value', valueLine(r)],
      ['return', returnLine(r)],
      ['PnL', `realized ${usd(r.realizedPnlUsd)}, unrealized ${usd(r.unrealizedPnlUsd)}`],
      ['drawdown', drawdownLine(r)],
      ['Sharpe / Sortino', `${ratioText(r.sharpe)} / ${ratioText(r.sortino)} (${r.dailyReturns.length} day${r.dailyReturns.length === 1 ? '' : 's'}; ${r.ratioMethod})`],
      ['trades', tradeCountsText(r.trades)],
      ['closes', closesLine(r)],
    ]),
  );
  out.push('', 'what realism cost', costsTable(r.costs));
  out.push('', `by ${r.groupBy}`, r.groups.length === 0 ? '  no trades in the range' : groupsTable(r.groups));
  out.push('', 'by token', r.tokens.length === 0 ? '  -' : tokensTable(r.tokens));
  return out.join('\n');
}

/** One row of `pte report --all`: a report, or why there is none. */
export type ReportRow = { readonly portfolioId: string; readonly report: PortfolioReportMessage } | { readonly portfolioId: string; readonly error: string };

/** The columns of a side-by-side comparison of portfolios (`pte report --all`, the tear sheet). */
export const COMPARISON_COLUMNS: readonly string[] = ['portfolio', 'start value', 'end value', 'return', 'buy-and-hold', 'max drawdown', 'Sharpe', 'trades', 'win rate', 'fees', 'realism cost'];

/** One portfolio's row of a side-by-side comparison, in COMPARISON_COLUMNS order. */
export function comparisonCells(r: PortfolioReportMessage): string[] {
  return [
    r.portfolioId,
    usd(r.startValueUsd),
    usd(r.endValueUsd),
    percent(r.totalReturn, true),
    percent(r.benchmarkReturn, true),
    percent(r.drawdown?.max),
    ratioText(r.sharpe),
    groupDigits(r.trades?.total ?? '0'),
    percent(r.closes?.winRate),
    usdFine(feesUsd(r.costs)),
    usdFine(r.costs?.totalUsd ?? '0'),
  ];
}

/** `pte report --all`: one row per portfolio, side by side; portfolios without a report are listed under the table with the reason. */
export function formatComparison(rows: readonly ReportRow[]): string {
  if (rows.length === 0) return 'no portfolios yet';
  const ok = rows.flatMap((r) => ('report' in r ? [r.report] : []));
  const lines = ok.map(comparisonCells);
  const out = [
    table(
      COMPARISON_COLUMNS,
      lines,
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  ];
  const failed = rows.flatMap((r) => ('error' in r ? [`  ${r.portfolioId}: ${r.error}`] : []));
  if (failed.length > 0) out.push('', 'no report', ...failed);
  return out.join('\n');
}

/** RFC 3339 text of a Timestamp, as proto3 JSON writes it. */
function rfc3339(t: TimestampMessage): string {
  const ms = msOf(t);
  if (ms === undefined || !Number.isFinite(ms)) return t.seconds;
  const iso = new Date(Number(t.seconds) * 1000).toISOString().slice(0, 19);
  const frac = t.nanos === 0 ? '' : `.${String(t.nanos).padStart(9, '0').replace(/(?:000)+$/, '')}`;
  return `${iso}${frac}Z`;
}

const isTimestamp = (v: object): v is TimestampMessage => {
  const keys = Object.keys(v);
  return keys.length === 2 && typeof (v as Partial<TimestampMessage>).seconds === 'string' && typeof (v as Partial<TimestampMessage>).nanos === 'number';
};

/**
 * A decoded message as proto3 JSON: lowerCamelCase names, 64-bit integers as strings, Timestamps as
 * RFC 3339 text, absent message fields and unset optionals left out. Default scalars are kept (the
 * mapping allows either), so every figure is present.
 */
export function toProto3Json(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toProto3Json);
  if (value === null || typeof value !== 'object') return value;
  if (isTimestamp(value)) return rfc3339(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined || k.startsWith('_')) continue;
    out[k] = toProto3Json(v);
  }
  return out;
}
