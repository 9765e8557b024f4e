/**
 * Human-readable output of the `pte` command: aligned tables and summaries of the wire messages. No
 * dependency and no colour, so the output is the same in a terminal, a pipe or a CI log. Numbers are
 * shown rounded for reading; `--json` gives the exact values.
 */
import { formatAmount } from '../domain/amount.js';
import { add, floor, fromDecimalString, mul, pow10, ratio } from '../domain/ratio.js';
import type {
  BalanceMessage,
  ExecutionMetricsMessage,
  PortfolioSummaryMessage,
  TimestampMessage,
  TokenRefMessage,
  TradeMessage,
  TradeResultMessage,
} from '../client/index.js';

export type Align = 'left' | 'right';

/** Rows under a header, columns padded to their widest cell; `align` per column (default left). */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = [], indent = ''): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    widths
      .map((w, i) => {
        const cell = cells[i] ?? '';
        return align[i] === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** "label   value" lines with the labels padded to the same width. */
export function fields(pairs: readonly (readonly [string, string])[], indent = '  '): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`.trimEnd()).join('\n');
}

/** 1234567.891 -> "1,234,567.891": groups the integer part of an exact decimal string. */
export function groupDigits(decimal: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(decimal);
  if (!m) return decimal;
  return `${m[1] ?? ''}${(m[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}`;
}

/** Rounds an exact decimal string half away from zero to at most `places` decimals, for display. */
export function roundDecimal(decimal: string, places: number): string {
  if (!/^-?\d+(?:\.\d+)?$/.test(decimal)) return decimal;
  const negative = decimal.startsWith('-');
  const scaled = mul(fromDecimalString(negative ? decimal.slice(1) : decimal), ratio(pow10(places)));
  const q = floor(add(scaled, ratio(1n, 2n)));
  return negative && q !== 0n ? `-${formatAmount(q, places)}` : formatAmount(q, places);
}

/** "$1,234.57" (negative: "-$12.30"); values that are not decimals are shown as they came. */
export function usd(decimal: string): string {
  if (decimal === '') return '-';
  const r = roundDecimal(decimal, 2);
  if (!/^-?\d/.test(r)) return decimal;
  const [int = '0', frac = ''] = r.replace(/^-/, '').split('.');
  const text = `$${groupDigits(int)}.${frac.padEnd(2, '0')}`;
  return r.startsWith('-') ? `-${text}` : text;
}

/** Lamports (a uint64 decimal string) with the SOL equivalent: "5,000 lamports (0.000005 SOL)". */
export function lamports(text: string): string {
  if (!/^\d+$/.test(text)) return `${text} lamports`;
  return `${groupDigits(text)} lamports (${formatAmount(BigInt(text), 9)} SOL)`;
}

export function bps(x: number): string {
  return `${x.toFixed(1)} bps`;
}

/** Prices keep up to 6 significant decimals after the point: readable for SOL/USDC and BONK/USDC alike. */
export function price(decimal: string): string {
  const m = /^(\d+)\.(0*)(\d*)$/.exec(decimal);
  if (!m) return groupDigits(decimal);
  const leadingZeros = (m[1] === '0' ? (m[2] ?? '').length : 0);
  return groupDigits(roundDecimal(decimal, Math.min(18, leadingZeros + 6)));
}

export function symbolOf(t: TokenRefMessage | null | undefined): string {
  if (!t) return '?';
  return t.symbol !== '' ? t.symbol : `${t.mint.slice(0, 4)}...${t.mint.slice(-4)}`;
}

/** Enum names without their prefix: TRADE_STATUS_FILLED -> FILLED; unknown numbers stay numbers. */
export function enumName(value: string | number, prefix: string): string {
  return typeof value === 'number' ? String(value) : value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

export const actionName = (a: string | number): string => enumName(a, 'TRADE_ACTION_');
export const statusName = (s: string | number): string => enumName(s, 'TRADE_STATUS_');

/** "2025-01-31 14:03:07Z" from a protobuf Timestamp; "-" when absent. */
export function timestamp(ts: TimestampMessage | null | undefined): string {
  if (!ts || !/^-?\d+$/.test(ts.seconds)) return '-';
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** One line of what happened: "bought 1 SOL for 151.5 USDC", or why nothing moved. */
export function tradeHeadline(t: TradeMessage): string {
  const action = actionName(t.action);
  const status = statusName(t.status);
  const input = `${t.inputAmount} ${symbolOf(t.input)}`;
  const output = `${t.outputAmount} ${symbolOf(t.output)}`;
  if (status !== 'FILLED') {
    const what =
      action === 'BUY'
        ? `buy ${symbolOf(t.base)} with ${symbolOf(t.quote)}`
        : action === 'SELL'
          ? `sell ${symbolOf(t.base)} for ${symbolOf(t.quote)}`
          : `swap ${symbolOf(t.input)} for ${symbolOf(t.output)}`;
    const reason = t.failureReason !== '' ? `: ${t.failureReason}` : '';
    return `did not ${what}${reason} (no tokens moved; the network fee was charged)`;
  }
  if (action === 'BUY') return `bought ${output} for ${input}`;
  if (action === 'SELL') return `sold ${input} for ${output}`;
  return `swapped ${input} for ${output}`;
}

function feeLines(t: TradeMessage): string {
  const total = lamports(t.networkFeeLamports);
  const f = t.fees;
  if (!f) return total;
  const sigs = `${f.signatures} signature${f.signatures === 1 ? '' : 's'}`;
  return `${total}: base ${groupDigits(f.baseFeeLamports)} (${sigs}) + priority ${groupDigits(f.priorityFeeLamports)} + rent ${groupDigits(f.rentLamports)}`;
}

function mevLine(t: TradeMessage): string | undefined {
  const m = t.mev;
  if (!m?.simulated) return undefined;
  const p = `${(m.attackProbability * 100).toFixed(1)} % attack probability, risk ${m.riskLevel || 'unknown'}`;
  return m.attacked ? `sandwiched: lost ${usd(m.lossUsd)} (${bps(t.mevImpactBps)}); ${p}` : `not attacked; ${p}`;
}

/** A landing-time trade's delay and when it was priced; undefined for a trade priced immediately. */
function landingLine(t: TradeMessage): string | undefined {
  const l = t.landing;
  if (!l) return undefined;
  const slots = `${l.slots} slot${l.slots === 1 ? '' : 's'}`;
  const msOf = (ts: TimestampMessage | null): number | undefined => (ts && /^-?\d+$/.test(ts.seconds) ? Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6) : undefined);
  const sent = msOf(l.sentAt);
  const priced = msOf(l.pricedAt);
  const after = sent !== undefined && priced !== undefined ? `, priced ${groupDigits(String(priced - sent))} ms after sending` : '';
  return `priced at landing: ${slots} (${groupDigits(l.delayMs)} ms) landing delay${after}`;
}

/** The readable summary of an ExecuteTrade result (see `pte trade`). */
export function formatTradeResult(r: TradeResultMessage): string {
  const out: string[] = [];
  const t = r.trade;
  if (!t) return `request ${r.requestId}: the executor returned no trade`;
  const pair = `${symbolOf(t.quote)} per ${symbolOf(t.base)}`;
  out.push(`${statusName(t.status)}  ${tradeHeadline(t)}`);
  const rows: [string, string][] = [
    ['price', `expected ${price(t.expectedPrice)}, executed ${price(t.executedPrice)} ${pair}`],
    ['slippage', `${bps(t.slippageBps)}${t.slippageExplanation !== '' ? ` (${t.slippageExplanation})` : ` (${t.slippageModel})`}`],
    ['price impact', bps(t.priceImpactBps)],
    ['network fee', feeLines(t)],
  ];
  const mev = mevLine(t);
  if (mev !== undefined) rows.push(['mev', mev]);
  if (t.route.length > 0) rows.push(['route', t.route.map((h) => `${h.label} ${h.percent} %`).join(', ')]);
  const m = r.executionMetrics;
  rows.push(['price source', `${t.priceSource}${m ? ` (${m.cacheHit ? 'cache hit' : 'fetched'}, ${m.priceFetchAttempts} attempt${m.priceFetchAttempts === 1 ? '' : 's'})` : ''}`]);
  rows.push(['trade', `${t.tradeId} (portfolio ${t.portfolioId}, ledger entry ${t.sequence}, seed ${t.seed})`]);
  rows.push(['request', t.requestId]);
  rows.push(['executed at', timestamp(t.executedAt)]);
  const landing = landingLine(t);
  if (landing !== undefined) rows.push(['landing', landing]);
  out.push(fields(rows));
  if (r.warnings.length > 0) {
    out.push('', 'warnings');
    for (const w of r.warnings) out.push(`  - ${w}`);
  }
  if (r.portfolioState) out.push('', `balances (portfolio ${r.portfolioState.portfolioId})`, balancesTable(r.portfolioState.balances, '  '));
  if (m) out.push('', 'timings (µs)', timingsTable(m, '  '));
  return out.join('\n');
}

export function balancesTable(balances: readonly BalanceMessage[], indent = ''): string {
  const rows = balances.map((b) => [symbolOf(b.token), b.amount, usd(b.usdValue), b.avgCostUsd === '' || b.avgCostUsd === '0' ? '-' : usd(b.avgCostUsd)]);
  return table(['token', 'amount', 'USD value', 'avg cost'], rows, ['left', 'right', 'right', 'right'], indent);
}

export function timingsTable(m: ExecutionMetricsMessage, indent = ''): string {
  const cols: [string, string][] = [
    ['total', m.totalUs],
    ['validation', m.validationUs],
    ['price', m.priceLookupUs],
    ['slippage', m.slippageUs],
    ['mev', m.mevUs],
    ['portfolio', m.portfolioUpdateUs],
    ['journal', m.journalUs],
  ];
  if (m.landingWaitUs !== '0') cols.splice(2, 0, ['landing wait', m.landingWaitUs]);
  return table(
    cols.map(([k]) => k),
    [cols.map(([, v]) => groupDigits(v))],
    cols.map(() => 'right'),
    indent,
  );
}

/** `pte portfolio`: balances, value and PnL. */
export function formatPortfolio(p: PortfolioSummaryMessage): string {
  const meta: string[] = [];
  if (p.priceSource !== '') meta.push(`prices: ${p.priceSource}`);
  if (p.updatedAt) meta.push(`updated ${timestamp(p.updatedAt)}`);
  return [
    `portfolio ${p.portfolioId}${meta.length > 0 ? ` (${meta.join(', ')})` : ''}`,
    balancesTable(p.balances, '  '),
    '',
    fields([
      ['total value', usd(p.totalValueUsd)],
      ['realized PnL', usd(p.realizedPnlUsd)],
      ['unrealized PnL', usd(p.unrealizedPnlUsd)],
      ['trades', groupDigits(p.tradeCount)],
      ['fees paid', lamports(p.feesPaidLamports)],
    ]),
  ].join('\n');
}

/** `pte trades`: one row per trade, newest first as the server returns them. */
export function formatTrades(trades: readonly TradeMessage[]): string {
  if (trades.length === 0) return 'no trades yet';
  const rows = trades.map((t) => [
    t.sequence,
    timestamp(t.executedAt),
    actionName(t.action),
    statusName(t.status),
    `${symbolOf(t.base)}/${symbolOf(t.quote)}`,
    `${t.inputAmount} ${symbolOf(t.input)}`,
    `${t.outputAmount} ${symbolOf(t.output)}`,
    price(t.executedPrice),
    t.slippageBps.toFixed(1),
    groupDigits(t.networkFeeLamports),
    t.tradeId,
  ]);
  return table(
    ['#', 'time (UTC)', 'action', 'status', 'pair', 'in', 'out', 'price', 'slip bps', 'fee lamports', 'trade id'],
    rows,
    ['right', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}
