import type { Token } from '../domain/tokens.js';

/**
 * A real trade as the fidelity evaluation sees it, whichever file format it came from: who paid what,
 * what they received, when, and what the pool looked like. Amounts are base units (bigint): pool
 * reserves of bonding-curve tokens pass 2^53.
 */

/** Pool reserves in base units: `base` is the traded token, `quote` what it is priced in (SOL). */
export interface PoolState {
  readonly base: bigint;
  readonly quote: bigint;
}

/**
 * How an input becomes an output on this pool.
 * - pumpfun: the bonding curve. Fees (protocol + creator, each ceil(sol x bps / 10,000)) are on the
 *   SOL side, outside the curve: a buy's trader pays the curve amount plus fees; a sell's trader gets
 *   the curve amount minus fees. `curveSolIn` is a buy's SOL into the curve (net of fees).
 * - cpmm: x*y=k with a fee of `feeBps` taken from the input, which stays in the pool (Uniswap v2 style).
 */
export type PoolRule =
  | { readonly kind: 'pumpfun'; readonly feeBps: bigint; readonly creatorFeeBps: bigint; readonly curveSolIn: bigint | undefined }
  | { readonly kind: 'cpmm'; readonly feeBps: bigint };

export type Side = 'buy' | 'sell';

export interface ObservedTrade {
  /** Line of the row in its file. */
  readonly line: number;
  /** Stable id (signature and line): seeds the models' random draws. */
  readonly id: string;
  /**
   * The transaction the trade was a leg of, when the file says. Legs of one transaction execute in
   * file order with nothing in between: a later leg is priced on the state the earlier ones left.
   */
  readonly tx: string | undefined;
  /** Pool identity: the reserves of one pool form one history. */
  readonly pool: string;
  readonly base: Token;
  readonly quote: Token;
  /** buy: pay quote, receive base; sell: pay base, receive quote. */
  readonly side: Side;
  readonly slot: number;
  readonly timeMs: number | undefined;
  /** What the trader paid, base units of the input token (fees included). */
  readonly amountIn: bigint;
  /** What the trader received, base units of the output token (fees deducted); > 0. */
  readonly realizedOut: bigint;
  readonly rule: PoolRule;
  /** Reserves just before the trade (exact state), when the format gives them. */
  readonly pre: PoolState | undefined;
  /** Reserves just after the trade: what the next slot's traders saw. */
  readonly post: PoolState | undefined;
  /** A quoted output taken before the trade, for files without reserves. */
  readonly quotedOut: bigint | undefined;
  readonly minOut: bigint | undefined;
  readonly slippageBps: number | undefined;
  readonly priorityFeeLamports: bigint;
}

/** A row that was not used, and why. */
export interface SkippedRow {
  readonly line: number;
  readonly reason: string;
}

export interface LoadedTrades {
  readonly format: 'pumpfun' | 'generic';
  readonly trades: readonly ObservedTrade[];
  readonly skipped: readonly SkippedRow[];
  readonly rows: number;
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Fee on `x` at `bps`, rounded up as the programs round it. */
export const feeOf = (x: bigint, bps: bigint): bigint => ceilDiv(x * bps, 10_000n);

/** Constant-product output for `dx` into a pool of (rIn, rOut), floored. */
export const cpOut = (rIn: bigint, rOut: bigint, dx: bigint): bigint => (dx <= 0n ? 0n : (rOut * dx) / (rIn + dx));

/**
 * The output of `t` on reserves `s` under the pool's own rules: what a quote on that state would say,
 * with no slippage model. Exact integer maths, rounding as the on-chain programs do.
 */
export function poolOutput(t: Pick<ObservedTrade, 'side' | 'amountIn' | 'rule'>, s: PoolState): bigint {
  const r = t.rule;
  if (r.kind === 'pumpfun') {
    if (t.side === 'buy') {
      const net = r.curveSolIn ?? netOfFees(t.amountIn, r.feeBps + r.creatorFeeBps);
      return cpOut(s.quote, s.base, net);
    }
    const gross = cpOut(s.base, s.quote, t.amountIn);
    const net = gross - feeOf(gross, r.feeBps) - feeOf(gross, r.creatorFeeBps);
    return net > 0n ? net : 0n;
  }
  const net = t.amountIn - feeOf(t.amountIn, r.feeBps);
  return t.side === 'buy' ? cpOut(s.quote, s.base, net) : cpOut(s.base, s.quote, net);
}

/**
 * The pool state after `t` executes on `s` as a quote on `s` says it would (its predicted output, its
 * input into the pool: a pump.fun buy's SOL net of fees, a cpmm input with its fee, which stays in
 * the pool). Used to price a transaction's later leg on the state its earlier legs leave.
 */
export function stateAfter(t: Pick<ObservedTrade, 'side' | 'amountIn' | 'rule'>, s: PoolState): PoolState {
  const r = t.rule;
  if (t.side === 'buy') {
    const into = r.kind === 'pumpfun' ? (r.curveSolIn ?? netOfFees(t.amountIn, r.feeBps + r.creatorFeeBps)) : t.amountIn;
    const out = r.kind === 'pumpfun' ? cpOut(s.quote, s.base, into) : poolOutput(t, s);
    return { base: s.base - out, quote: s.quote + into };
  }
  const out = r.kind === 'pumpfun' ? cpOut(s.base, s.quote, t.amountIn) : poolOutput(t, s);
  return { base: s.base + t.amountIn, quote: s.quote - out };
}

/** The share of the input that reaches the curve when fees are charged on top (a buy given gross SOL). */
function netOfFees(gross: bigint, bps: bigint): bigint {
  return (gross * 10_000n) / (10_000n + bps);
}

/** The pool's own price impact of `t` on `s`, as a fraction n/d: dx / (rIn + dx) on the input side. */
export function poolImpact(t: Pick<ObservedTrade, 'side' | 'amountIn'>, s: PoolState): { n: bigint; d: bigint } {
  const rIn = t.side === 'buy' ? s.quote : s.base;
  return { n: t.amountIn, d: rIn + t.amountIn };
}
