/**
 * One trade as one row of the QuestDB `trades` table, one mark as one row of `portfolio_marks`
 * (docs/questdb.md has the DDL). Pure: the
 * recorder and the backfill build rows here and only then write them to a Sender, so the mapping is
 * tested without a network.
 *
 * ILP has no exact decimal or unsigned 64-bit type the client can send everywhere, so every exact
 * value travels twice: as a decimal string (`*_exact`, the audit value) and as a double (for SUM,
 * AVG and Grafana). The seed is a uint64 and would overflow a LONG, so it is a string.
 */
import { formatAmount } from '../../domain/amount.js';
import { div, toDecimalString, type Ratio, type Rounding } from '../../domain/ratio.js';
import { SOL_MINT, type Mint } from '../../domain/tokens.js';
import type { Trade } from '../../domain/trade.js';
import type { MarkRecord } from '../../executor/ports.js';

export const TRADES_TABLE = 'trades';
export const MARKS_TABLE = 'portfolio_marks';

/** Fraction digits of the exact prices: the same as the gRPC Trade message. */
const PRICE_PLACES = 18;

export interface TradeRow {
  /** The designated timestamp, microseconds since the epoch (executed_at; a mark's time). */
  readonly timestampUs: bigint;
  /** SYMBOL columns; ILP requires them before every other column. */
  readonly symbols: readonly (readonly [string, string])[];
  readonly strings: readonly (readonly [string, string])[];
  readonly floats: readonly (readonly [string, number])[];
  /** LONG columns; always safe integers. */
  readonly ints: readonly (readonly [string, number])[];
  readonly booleans: readonly (readonly [string, boolean])[];
}

/** Against the trader, as the gRPC mapping rounds it: whoever receives base sees the higher price. */
function executedRounding(t: Trade): Rounding {
  if (t.action === 'BUY') return 'ceil';
  if (t.action === 'SELL') return 'floor';
  return t.input.mint === t.quote.mint ? 'ceil' : 'floor';
}

/** A lamport figure as a LONG when it fits exactly; undefined (NULL) otherwise, never a wrong number. */
const long = (v: bigint): number | undefined => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined);

export function tradeToRow(t: Trade): TradeRow {
  const inputAmount = formatAmount(t.inputAmount, t.input.decimals);
  const outputAmount = formatAmount(t.outputAmount, t.output.decimals);
  const expectedPrice = toDecimalString(t.expectedPrice, PRICE_PLACES, 'floor');
  const executedPrice = toDecimalString(t.executedPrice, PRICE_PLACES, executedRounding(t));
  const inputValueUsd = formatAmount(t.inputValueNanoUsd, 9);

  const symbols: [string, string][] = [];
  const sym = (name: string, value: string): void => {
    if (value !== '') symbols.push([name, value]); // an empty symbol is NULL
  };
  sym('portfolio_id', t.portfolioId);
  sym('action', t.action);
  sym('status', t.status);
  sym('base', t.base.symbol);
  sym('quote', t.quote.symbol);
  sym('input_token', t.input.symbol);
  sym('output_token', t.output.symbol);
  sym('price_source', t.priceSource);
  sym('slippage_model', t.slippageModel);
  sym('mev_risk', t.mev.riskLevel);

  const strings: [string, string][] = [
    ['trade_id', t.tradeId],
    ['request_id', t.requestId],
    ['base_mint', t.base.mint],
    ['quote_mint', t.quote.mint],
    ['input_amount_exact', inputAmount],
    ['output_amount_exact', outputAmount],
    ['expected_price_exact', expectedPrice],
    ['executed_price_exact', executedPrice],
    ['input_value_usd_exact', inputValueUsd],
    ['mev_loss_usd_exact', t.mev.lossUsd],
    ['seed', t.seed.toString()],
  ];
  if (t.failureReason !== undefined && t.failureReason !== '') strings.push(['failure_reason', t.failureReason]);

  const floats: [string, number][] = [];
  const float = (name: string, value: number): void => {
    if (Number.isFinite(value)) floats.push([name, value]); // NaN/Infinity: NULL rather than a rejected batch
  };
  float('input_amount', Number(inputAmount));
  float('output_amount', Number(outputAmount));
  float('expected_price', Number(expectedPrice));
  float('executed_price', Number(executedPrice));
  float('input_value_usd', Number(inputValueUsd));
  float('slippage_bps', t.slippageBps);
  float('mev_impact_bps', t.mevImpactBps);
  float('price_impact_bps', t.priceImpactBps);
  float('mev_attack_probability', t.mev.attackProbability);
  float('mev_loss_usd', Number(t.mev.lossUsd));

  const ints: [string, number][] = [];
  const int = (name: string, value: bigint | number): void => {
    const v = typeof value === 'number' ? (Number.isSafeInteger(value) ? value : undefined) : long(value);
    if (v !== undefined) ints.push([name, v]);
  };
  int('sequence', t.sequence);
  int('network_fee_lamports', t.fees.total);
  int('base_fee_lamports', t.fees.baseFee);
  int('priority_fee_lamports', t.fees.priorityFee);
  int('rent_lamports', t.fees.rent);
  int('signatures', t.fees.signatures);

  return {
    timestampUs: BigInt(Math.trunc(t.executedAtMs)) * 1000n,
    symbols,
    strings,
    floats,
    ints,
    booleans: [
      ['mev_simulated', t.mev.simulated],
      ['mev_attacked', t.mev.attacked],
      ['mev_reverted', t.mev.reverted],
    ],
  };
}

/** Digits of a value before it becomes a double: far beyond what a double keeps. */
const FLOAT_PLACES = 18;

const toFloat = (r: Ratio): number => Number(toDecimalString(r, FLOAT_PLACES, 'floor'));

/**
 * A mark as a `portfolio_marks` row: its value in USD and in SOL as doubles, for charting (the exact
 * values stay in the journal). value_sol and sol_usd are NULL when the mark had no SOL price.
 */
export function markToRow(m: MarkRecord, solMint: Mint = SOL_MINT): TradeRow {
  const symbols: [string, string][] = m.portfolioId === '' ? [] : [['portfolio_id', m.portfolioId]];
  const floats: [string, number][] = [];
  const float = (name: string, value: number): void => {
    if (Number.isFinite(value)) floats.push([name, value]);
  };
  float('value_usd', toFloat(m.valueUsd));
  const solUsd = m.prices.find((p) => p.mint === solMint)?.usd;
  if (solUsd !== undefined && solUsd.n > 0n) {
    float('value_sol', toFloat(div(m.valueUsd, solUsd)));
    float('sol_usd', toFloat(solUsd));
  }
  const ints: [string, number][] = [];
  if (Number.isSafeInteger(m.sequence)) ints.push(['sequence', m.sequence]);
  ints.push(['holdings', m.holdings.filter((h) => h.amount !== 0n).length]);
  return { timestampUs: BigInt(Math.trunc(m.atMs)) * 1000n, symbols, strings: [], floats, ints, booleans: [] };
}

/** The part of the client's Sender a row is written to (a test may pass a recorder of calls). */
export interface RowSink {
  table(name: string): unknown;
  symbol(name: string, value: string): unknown;
  stringColumn(name: string, value: string): unknown;
  floatColumn(name: string, value: number): unknown;
  intColumn(name: string, value: number): unknown;
  booleanColumn(name: string, value: boolean): unknown;
  at(timestamp: bigint, unit: 'us'): Promise<void>;
}

/** Appends the row to the sender's buffer (nothing is sent: the recorder runs with auto_flush=off). */
export async function writeRow(sink: RowSink, row: TradeRow, table = TRADES_TABLE): Promise<void> {
  sink.table(table);
  for (const [k, v] of row.symbols) sink.symbol(k, v);
  for (const [k, v] of row.strings) sink.stringColumn(k, v);
  for (const [k, v] of row.floats) sink.floatColumn(k, v);
  for (const [k, v] of row.ints) sink.intColumn(k, v);
  for (const [k, v] of row.booleans) sink.booleanColumn(k, v);
  await sink.at(row.timestampUs, 'us');
}
