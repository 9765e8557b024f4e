import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTokenRegistry } from '../domain/tokens.js';
import { parseCsv, CsvError } from './csv.js';
import { BASELINE, evaluate, scoreAt, splitByTime, type ModelUnderTest } from './evaluate.js';
import { buildHistory, endOfSlot } from './history.js';
import { loadTrades, TradeFileError } from './load.js';
import { predictBaseline, predictFill } from './predict.js';
import { errorBps, withinBps } from './score.js';
import { testOptions } from '../../test/support/fidelity.js';
import { cpOut, poolOutput, type ObservedTrade, type PoolState } from './trades.js';

/** The value, failing the test when it is missing. */
function defined<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('expected a value');
  return v;
}
const preOf = (t: ObservedTrade): PoolState => defined(t.pre);

const tokens = createTokenRegistry();
const MINT_A = 'FCuk4XWLR6fAJFTcQoMrm3KeywSt2X6wK4Ufh4Xjpump';
const PUMP_HEADER =
  'block_time,transaction_signature,block_num,token_address,is_buy,amount_in_sol,amount_in_token,change_in_sol,change_in_tokens,virtual_sol_reserves,virtual_token_reserves,fee_basis_points,fee_amount,creator_fee_basis_points,creator_fee_amount';

/** A pump.fun row whose reserves are consistent: post = pre +/- the trade, fees ceil(sol x bps). */
function pumpRow(o: { slot: number; buy: boolean; sol: bigint; pre: { sol: bigint; tok: bigint }; sig?: string }): { line: string; post: { sol: bigint; tok: bigint } } {
  const tok = o.buy ? cpOut(o.pre.sol, o.pre.tok, o.sol) : undefined;
  // For a sell, choose the token amount and derive the SOL the curve pays out.
  const tokIn = o.buy ? 0n : o.sol;
  const solOut = o.buy ? o.sol : cpOut(o.pre.tok, o.pre.sol, tokIn);
  const tokens = o.buy ? (tok ?? 0n) : tokIn;
  const post = o.buy ? { sol: o.pre.sol + o.sol, tok: o.pre.tok - tokens } : { sol: o.pre.sol - solOut, tok: o.pre.tok + tokens };
  const fee = (solOut * 95n + 9_999n) / 10_000n;
  const cfee = (solOut * 30n + 9_999n) / 10_000n;
  const dSol = o.buy ? -solOut : solOut;
  const dTok = o.buy ? tokens : -tokens;
  const line = [1_757_782_395 + o.slot, o.sig ?? `sig${o.slot}${o.buy ? 'b' : 's'}${o.sol}`, o.slot, MINT_A, o.buy, solOut, tokens, dSol, dTok, post.sol, post.tok, 95, fee, 30, cfee].join(',');
  return { line, post };
}

const PRE = { sol: 30_000_000_000n, tok: 1_073_000_000_000_000n };

describe('csv', () => {
  it('keeps the line number of each record, across quoted line breaks and blank lines', () => {
    const t = parseCsv('a,b\n1,"x\ny"\n\n2,"he said ""hi"""\r\n3,z');
    expect(t.header).toEqual(['a', 'b']);
    expect(t.records.map((r) => r.line)).toEqual([2, 5, 6]);
    expect(t.records[0]?.fields).toEqual(['1', 'x\ny']);
    expect(t.records[1]?.fields).toEqual(['2', 'he said "hi"']);
  });

  it('refuses an unterminated quote, naming the line it starts on', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"open\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\n1,2\n3,"open\n')).toThrow(/line 3/);
  });
});

describe('pump.fun loader and exact arithmetic', () => {
  it('reproduces a buy and a sell exactly from the pre-trade state, beyond 2^53, with fees on the SOL side', () => {
    const b = pumpRow({ slot: 100, buy: true, sol: 1_444_000_276n, pre: PRE });
    const s = pumpRow({ slot: 101, buy: false, sol: 9_000_000_000_000n, pre: b.post });
    const loaded = loadTrades([PUMP_HEADER, b.line, s.line].join('\n'), tokens);
    expect(loaded.skipped).toEqual([]);
    const [buy, sell] = loaded.trades as [ObservedTrade, ObservedTrade];
    // A buy's trader pays the curve SOL plus both fees; a sell's trader gets the curve SOL minus them.
    expect(buy.amountIn).toBe(1_444_000_276n + 13_718_003n + 4_332_001n);
    expect(buy.pre).toEqual({ base: PRE.tok, quote: PRE.sol });
    expect(sell.pre).toEqual({ base: b.post.tok, quote: b.post.sol });
    const history = buildHistory(loaded.trades);
    for (const t of loaded.trades) {
      const basis = history.stateBefore(t, 0);
      expect(basis).toBeDefined();
      const p = predictBaseline(t, { kind: 'state', state: defined(basis).state });
      expect(p.output).toBe(t.realizedOut);
      expect(errorBps(p.output, t.realizedOut)).toBe(0);
    }
    expect(sell.realizedOut).toBe(poolOutput(sell, preOf(sell)));
  });

  it('scores error in bps exactly and signs it positive when the paper fill is better', () => {
    expect(errorBps(10_001n, 10_000n)).toBe(1);
    expect(errorBps(9_999n, 10_000n)).toBe(-1);
    expect(withinBps(1_000_001n, 1_000_000n, 1n, 100n)).toBe(true); // 0.01 bps
    expect(withinBps(1_000_001n, 999_999n, 1n, 100n)).toBe(false);
    // Larger than 2^53: still exact.
    const big = 9_007_199_254_740_993_000n;
    expect(withinBps(big + big / 1_000_000n, big, 1n, 100n)).toBe(true); // exactly 0.01 bps
    expect(withinBps(big + big / 1_000_000n + 1n, big, 1n, 100n)).toBe(false);
  });

  it('runs the executor pipeline: a fixed 100 bps model gives the quote less 1 %, floored', () => {
    const b = pumpRow({ slot: 100, buy: true, sol: 1_000_000_000n, pre: PRE });
    const [t] = loadTrades([PUMP_HEADER, b.line].join('\n'), tokens).trades as [ObservedTrade];
    const fixed: ModelUnderTest = { label: 'fixed', spec: { name: 'fixed', params: { bps: 100 } }, landing: undefined };
    const p = predictFill(t, { kind: 'state', state: preOf(t) }, testOptions(fixed, 0), 1n);
    expect(p.output).toBe((t.realizedOut * 99n) / 100n);
    expect(errorBps(p.output, t.realizedOut)).toBeCloseTo(-100, 3);
  });
});

describe('k-slot lookback', () => {
  // Slot 10: one buy. Slot 12: two buys stored in reverse order. Slot 13: the trade under test.
  const r10 = pumpRow({ slot: 10, buy: true, sol: 1_000_000_000n, pre: PRE });
  const r12a = pumpRow({ slot: 12, buy: true, sol: 2_000_000_000n, pre: r10.post, sig: 'a' });
  const r12b = pumpRow({ slot: 12, buy: true, sol: 3_000_000_000n, pre: r12a.post, sig: 'b' });
  const r13 = pumpRow({ slot: 13, buy: true, sol: 500_000_000n, pre: r12b.post });
  const file = [PUMP_HEADER, r10.line, r12b.line, r12a.line, r13.line].join('\n');
  const loaded = loadTrades(file, tokens);
  const history = buildHistory(loaded.trades);
  const t13 = defined(loaded.trades.find((t) => t.slot === 13));

  it('takes the state at the end of slot s - k, recovering the in-slot order from the chain of states', () => {
    expect(history.stateBefore(t13, 0)?.state).toEqual({ base: r12b.post.tok, quote: r12b.post.sol });
    expect(history.stateBefore(t13, 1)?.state).toEqual({ base: r12b.post.tok, quote: r12b.post.sol });
    expect(history.stateBefore(t13, 1)?.slot).toBe(12);
    // Slot 11 had no trade: the state at its end is slot 10's.
    expect(history.stateBefore(t13, 2)?.slot).toBe(10);
    expect(history.stateBefore(t13, 2)?.state).toEqual({ base: r10.post.tok, quote: r10.post.sol });
    expect(history.stateBefore(t13, 3)?.slot).toBe(10);
    expect(history.stateBefore(t13, 4)).toBeUndefined();
  });

  it('falls back to file order when the chain does not single out the last trade', () => {
    const trades = loaded.trades.filter((t) => t.slot === 12);
    const broken = trades.map((t) => ({ ...t, pre: { base: 1n, quote: 1n } }));
    expect(endOfSlot(broken)).toEqual(broken.reduce((a, b) => (a.line > b.line ? a : b)).post);
  });

  it('scores the stale prediction against the realized fill: on an older state a buy gets more tokens', () => {
    const fresh = scoreAt([t13], history, 0, undefined, testOptions, 1n).score;
    const stale = scoreAt([t13], history, 2, undefined, testOptions, 1n).score;
    expect(fresh.medianAbsBps).toBe(0);
    // Slot 12's buys raised the price: the paper fill on slot 10's state is optimistic.
    const expected = errorBps(cpOut(r10.post.sol, r10.post.tok, 500_000_000n), t13.realizedOut);
    expect(stale.meanBps).toBe(expected);
    expect(expected).toBeGreaterThan(0);
  });

  it('counts trades with no state k slots before them instead of scoring them', () => {
    const r = evaluate(loaded.trades, history, { horizons: [0, 1, 5], models: [], options: testOptions, seed: 1n });
    expect(r.coverage).toEqual([
      { horizon: 0, scored: 4, noState: 0 },
      { horizon: 1, scored: 3, noState: 1 },
      { horizon: 5, scored: 0, noState: 4 },
    ]);
    expect(r.cells.every((c) => c.model === BASELINE)).toBe(true);
  });
});

describe('split by time', () => {
  it('cuts between slots by time, not by file order', () => {
    const rows = [30, 10, 20, 20, 40, 50].map((slot, i) => pumpRow({ slot, buy: true, sol: BigInt(1_000_000_000 + i), pre: PRE, sig: `s${i}` }).line);
    const { trades } = loadTrades([PUMP_HEADER, ...rows].join('\n'), tokens);
    const { first, second, cutSlot } = splitByTime(trades);
    expect(cutSlot).toBe(30);
    expect(first.map((t) => t.slot)).toEqual([10, 20, 20]);
    expect(second.map((t) => t.slot)).toEqual([30, 40, 50]);
  });

  it('never puts one slot on both sides', () => {
    const rows = [10, 20, 20, 20, 30].map((slot, i) => pumpRow({ slot, buy: true, sol: BigInt(1_000_000_000 + i), pre: PRE, sig: `t${i}` }).line);
    const { first, second } = splitByTime(loadTrades([PUMP_HEADER, ...rows].join('\n'), tokens).trades);
    expect(first.map((t) => t.slot)).toEqual([10]);
    expect(second.map((t) => t.slot)).toEqual([20, 20, 20, 30]);
  });
});

describe('malformed rows', () => {
  it('skips each bad pump.fun row with its line number and the reason', () => {
    const good = pumpRow({ slot: 5, buy: true, sol: 1_000_000_000n, pre: PRE }).line;
    const f = good.split(',');
    const swapped = [...f];
    swapped[7] = String(-BigInt(f[7] ?? '0')); // change_in_sol with the wrong sign
    const notNumber = [...f];
    notNumber[5] = '1.5e9';
    const short = f.slice(0, 10).join(',');
    const badBool = [...f];
    badBool[4] = 'yes';
    const text = [PUMP_HEADER, good, swapped.join(','), notNumber.join(','), short, badBool.join(',')].join('\n');
    const loaded = loadTrades(text, tokens);
    expect(loaded.trades.map((t) => t.line)).toEqual([2]);
    expect(loaded.skipped.map((s) => s.line)).toEqual([3, 4, 5, 6]);
    expect(loaded.skipped[0]?.reason).toMatch(/change_in_sol/);
    expect(loaded.skipped[1]?.reason).toMatch(/amount_in_sol: "1.5e9" is not a whole number/);
    expect(loaded.skipped[2]?.reason).toMatch(/10 fields, the header has 15/);
    expect(loaded.skipped[3]?.reason).toMatch(/is_buy/);
  });

  it('refuses a file whose header fits neither format', () => {
    expect(() => loadTrades('a,b,c\n1,2,3', tokens)).toThrow(TradeFileError);
    expect(() => loadTrades('pair,side,amount_in,amount_out,slot\nX/SOL,buy,1,1,1', tokens)).toThrow(/pool information/);
  });
});

describe('generic format', () => {
  const HEADER = 'id,pair,side,amount_in,amount_out,slot,base_reserve_after,quote_reserve_after,fee_bps,min_out';
  it('reads reserves after the trade with a fee kept in the pool, and reproduces the fill exactly', () => {
    // Pool 1,000,000 BONK-units : 1,000 SOL-units; buy with 100 (fee 30 bps -> 99.7 net, ceil fee 1).
    const out = cpOut(1_000n * 1_000_000n, 1_000_000n * 1_000_000n, 100_000_000n - 300_000n);
    const after = { base: 1_000_000n * 1_000_000n - out, quote: 1_000n * 1_000_000n + 100_000_000n };
    const text = [HEADER, `t1,BONK/SOL,buy,100000000,${out},7,${after.base},${after.quote},30,`].join('\n');
    const loaded = loadTrades(text, tokens);
    expect(loaded.format).toBe('generic');
    expect(loaded.skipped).toEqual([]);
    const [t] = loaded.trades as [ObservedTrade];
    expect(t.base.symbol).toBe('BONK');
    expect(t.pre).toEqual({ base: 1_000_000n * 1_000_000n, quote: 1_000n * 1_000_000n });
    expect(predictBaseline(t, { kind: 'state', state: preOf(t) }).output).toBe(out);
  });

  it('treats a paper fill below min_out as a failed trade, and skips bad rows by line', () => {
    const text = [
      HEADER,
      'a,FOO/SOL,buy,1000,900,7,100000,100000,0,999999',
      'b,FOO/SOL,hold,1000,900,8,100000,100000,0,',
      'c,FOOSOL,buy,1000,900,9,100000,100000,0,',
      'd,FOO/SOL,sell,1000,0,9,100000,100000,0,',
    ].join('\n');
    const loaded = loadTrades(text, tokens);
    expect(loaded.skipped.map((s) => [s.line, s.reason.split(':')[0]])).toEqual([
      [3, 'side'],
      [4, 'pair'],
      [5, 'amount_out'],
    ]);
    const [t] = loaded.trades as [ObservedTrade];
    const p = predictBaseline(t, { kind: 'state', state: preOf(t) });
    expect(p.output).toBe(0n);
    expect(p.failure).toMatch(/min_out/);
  });

  it('scores rows with only a quoted output under the "quote" horizon', () => {
    const text = ['pair,side,amount_in,amount_out,time,quoted_out', 'JUP/SOL,sell,1000000,5000,2025-09-13T00:00:00Z,5010'].join('\n');
    const loaded = loadTrades(text, tokens);
    const r = evaluate(loaded.trades, buildHistory(loaded.trades), { horizons: [0, 1], models: [], options: testOptions, seed: 1n });
    expect(r.cells.map((c) => c.horizon)).toEqual(['quote']);
    expect(r.cells[0]?.score.meanBps).toBe(20);
  });
});

describe('the shipped pump.fun file', () => {
  it('reproduces at least 99 % of fills within 0.01 bps from the exact state (k = 0)', () => {
    const text = readFileSync(new URL('../../reference/live-trades/pumpfun-trades-2025-09.csv', import.meta.url), 'utf8');
    const loaded = loadTrades(text, tokens);
    expect(loaded.rows).toBe(2_501);
    expect(loaded.trades.length + loaded.skipped.length).toBe(2_501);
    const history = buildHistory(loaded.trades);
    let ok = 0;
    for (const t of loaded.trades) {
      const s = history.stateBefore(t, 0);
      const p = predictBaseline(t, { kind: 'state', state: defined(s).state });
      if (withinBps(p.output, t.realizedOut, 1n, 100n)) ok++;
    }
    expect(ok / loaded.trades.length).toBeGreaterThanOrEqual(0.99);
  });
});
