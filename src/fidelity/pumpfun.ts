import { mint, type Token } from '../domain/tokens.js';
import { rowOf, RowError, type Row } from './columns.js';
import type { CsvTable } from './csv.js';
import type { LoadedTrades, ObservedTrade, SkippedRow } from './trades.js';

/**
 * Loader for pump.fun bonding-curve TradeEvents as exported in reference/live-trades (see its README
 * for every column). The event carries the virtual reserves AFTER the trade; the state before it is
 * that minus the trade's own delta on the curve:
 *   buy:  sol_pre = vsol - amount_in_sol, token_pre = vtoken + amount_in_token
 *   sell: sol_pre = vsol + amount_in_sol, token_pre = vtoken - amount_in_token
 * amount_in_sol is the curve side (a buy's SOL net of fees, a sell's SOL before fees); the trader pays
 * or loses the fees on top, so a buy's input is amount_in_sol + fees and a sell's realized output is
 * amount_in_sol - fees.
 */
export const PUMPFUN_COLUMNS = [
  'transaction_signature',
  'block_num',
  'block_time',
  'token_address',
  'is_buy',
  'amount_in_sol',
  'amount_in_token',
  'change_in_sol',
  'change_in_tokens',
  'virtual_sol_reserves',
  'virtual_token_reserves',
  'fee_basis_points',
  'fee_amount',
  'creator_fee_basis_points',
  'creator_fee_amount',
] as const;

export const isPumpfunHeader = (index: ReadonlyMap<string, number>): boolean =>
  index.has('virtual_sol_reserves') && index.has('virtual_token_reserves') && index.has('block_num');

/** pump.fun mints are not in the token registry: every one is a 6-decimal memecoin. */
export function pumpfunToken(mintText: string): Token {
  return { symbol: `${mintText.slice(0, 8)}…`, mint: mint(mintText), decimals: 6, class: 'meme' };
}

export function loadPumpfun(table: CsvTable, index: ReadonlyMap<string, number>, sol: Token): LoadedTrades {
  const missing = PUMPFUN_COLUMNS.filter((c) => !index.has(c));
  if (missing.length > 0) throw new RowError(`pump.fun trade file without column(s): ${missing.join(', ')}`);
  const trades: ObservedTrade[] = [];
  const skipped: SkippedRow[] = [];
  const tokens = new Map<string, Token>();
  for (const record of table.records) {
    try {
      const t = pumpfunTrade(rowOf(record, index, table.header.length), tokens, sol);
      if (typeof t === 'string') skipped.push({ line: record.line, reason: t });
      else trades.push(t);
    } catch (e) {
      if (!(e instanceof RowError || e instanceof RangeError)) throw e;
      skipped.push({ line: record.line, reason: e.message });
    }
  }
  return { format: 'pumpfun', trades, skipped, rows: table.records.length };
}

/** One row as a trade; a string says why a well-formed row cannot be scored. */
function pumpfunTrade(row: Row, tokens: Map<string, Token>, sol: Token): ObservedTrade | string {
  const mintText = row.text('token_address');
  let token = tokens.get(mintText);
  if (!token) {
    token = pumpfunToken(mintText);
    tokens.set(mintText, token);
  }
  const isBuy = row.bool('is_buy');
  const solAmount = row.uint('amount_in_sol');
  const tokenAmount = row.uint('amount_in_token');
  // The signed changes must agree with the amounts and the side: a shifted or mislabelled column
  // shows up here rather than as a plausible-looking wrong trade.
  const dSol = row.int('change_in_sol');
  const dToken = row.int('change_in_tokens');
  if (dSol !== (isBuy ? -solAmount : solAmount) || dToken !== (isBuy ? tokenAmount : -tokenAmount)) {
    throw new RowError(`change_in_sol/change_in_tokens (${dSol}, ${dToken}) disagree with is_buy=${isBuy} and the amounts`);
  }
  const vSol = row.uint('virtual_sol_reserves');
  const vToken = row.uint('virtual_token_reserves');
  const feeBps = row.uint('fee_basis_points');
  const creatorFeeBps = row.uint('creator_fee_basis_points');
  const fees = row.uint('fee_amount') + row.uint('creator_fee_amount');
  const slot = Number(row.uint('block_num'));
  const time = row.uint('block_time');
  const pre = isBuy ? { base: vToken + tokenAmount, quote: vSol - solAmount } : { base: vToken - tokenAmount, quote: vSol + solAmount };
  if (pre.base <= 0n || pre.quote <= 0n) throw new RowError('reserves minus the trade are not positive: the reserves are not post-trade');
  const amountIn = isBuy ? solAmount + fees : tokenAmount;
  const realizedOut = isBuy ? tokenAmount : solAmount - fees;
  if (amountIn === 0n) return 'the input amount is 0';
  if (realizedOut <= 0n) return 'the realized output is 0 after fees: no error in bps can be computed';
  const signature = row.text('transaction_signature');
  return {
    line: row.line,
    id: `${signature}:${row.line}`,
    tx: signature,
    pool: mintText,
    base: token,
    quote: sol,
    side: isBuy ? 'buy' : 'sell',
    slot,
    timeMs: Number(time) * 1000,
    amountIn,
    realizedOut,
    rule: { kind: 'pumpfun', feeBps, creatorFeeBps, curveSolIn: isBuy ? solAmount : undefined },
    pre,
    post: { base: vToken, quote: vSol },
    quotedOut: undefined,
    minOut: undefined,
    slippageBps: undefined,
    priorityFeeLamports: 0n,
  };
}
