import { createBuffer, SenderOptions } from '@questdb/nodejs-client';
import { describe, expect, it } from 'vitest';
import { amount } from '../../domain/amount.js';
import { ratio } from '../../domain/ratio.js';
import { sampleTrade } from '../../../test/fakes/fake-executor.js';
import { parseIlp } from '../../../test/fakes/questdb-receiver.js';
import { SOL_MINT, USDC_MINT } from '../../domain/tokens.js';
import type { MarkRecord } from '../../executor/ports.js';
import { MARKS_TABLE, markToRow, tradeToRow, writeRow, type RowSink } from './row.js';

/** The client's own line-protocol encoder for a protocol version, as a RowSink. */
function encoder(version: '1' | '2'): { sink: RowSink; bytes: () => Buffer } {
  const buffer = createBuffer(new SenderOptions(`http::addr=127.0.0.1:9000;protocol_version=${version};`));
  const sink: RowSink = {
    table: (n) => buffer.table(n),
    symbol: (n, v) => buffer.symbol(n, v),
    stringColumn: (n, v) => buffer.stringColumn(n, v),
    floatColumn: (n, v) => buffer.floatColumn(n, v),
    intColumn: (n, v) => buffer.intColumn(n, v),
    booleanColumn: (n, v) => buffer.booleanColumn(n, v),
    at: (ts, unit) => Promise.resolve(buffer.at(ts, unit)),
  };
  return { sink, bytes: () => Buffer.from(buffer.toBufferView()) };
}

describe('tradeToRow', () => {
  const row = tradeToRow(sampleTrade({ tradeId: '0a1b2c3d-0000-4000-8000-000000000001' }));
  const get = <T>(cols: readonly (readonly [string, T])[], name: string): T | undefined => cols.find(([k]) => k === name)?.[1];

  it('puts the designated timestamp in microseconds from executedAtMs', () => {
    expect(row.timestampUs).toBe(1_700_000_000_123_000n);
  });

  it('keeps every exact value as a decimal string and a double for analysis', () => {
    expect(get(row.strings, 'input_amount_exact')).toBe('225.000001');
    expect(get(row.floats, 'input_amount')).toBe(225.000001);
    expect(get(row.strings, 'output_amount_exact')).toBe('1.5');
    expect(get(row.strings, 'expected_price_exact')).toBe('149.666666666666666666');
    // a BUY receives base: the executed price rounds up, against the trader, as on the gRPC Trade
    expect(get(row.strings, 'executed_price_exact')).toBe('150.333333333333333334');
    expect(get(row.strings, 'input_value_usd_exact')).toBe('225.000001');
  });

  it('sends the uint64 seed as a string (a LONG would overflow)', () => {
    expect(get(row.strings, 'seed')).toBe('18446744073709551615');
    expect(row.ints.map(([k]) => k)).not.toContain('seed');
  });

  it('puts tokens, action, status, price source and slippage model in symbol columns', () => {
    expect(Object.fromEntries(row.symbols)).toMatchObject({
      portfolio_id: 'default',
      action: 'BUY',
      status: 'FILLED',
      base: 'SOL',
      quote: 'USDC',
      input_token: 'USDC',
      output_token: 'SOL',
      price_source: 'sim',
      slippage_model: 'fixed',
      mev_risk: 'none',
    });
  });

  it('carries fees as LONGs and MEV figures', () => {
    expect(Object.fromEntries(row.ints)).toMatchObject({ network_fee_lamports: 2_054_280, priority_fee_lamports: 10_000, rent_lamports: 2_039_280, sequence: 7 });
    expect(get(row.floats, 'mev_loss_usd')).toBe(0);
    expect(get(row.booleans, 'mev_attacked')).toBe(false);
  });

  it('leaves non-finite doubles NULL instead of sending a value QuestDB would refuse', () => {
    const r = tradeToRow(sampleTrade({ slippageBps: Number.NaN }));
    expect(r.floats.map(([k]) => k)).not.toContain('slippage_bps');
  });

  it('records a failed trade with its reason and a zero output', () => {
    const r = tradeToRow(sampleTrade({ status: 'FAILED_SLIPPAGE', outputAmount: amount(0n), failureReason: 'fill worse than tolerance, "quoted"' }));
    expect(get(r.strings, 'output_amount_exact')).toBe('0');
    expect(get(r.strings, 'failure_reason')).toBe('fill worse than tolerance, "quoted"');
  });

  for (const version of ['1', '2'] as const) {
    it(`round-trips through the client's protocol v${version} encoding and the strict parser`, async () => {
      const t = sampleTrade({ tradeId: 'x', failureReason: 'a "quote", a \\ and\na line break', expectedPrice: ratio(1n, 3n), portfolioId: 'p 1,=x' });
      const enc = encoder(version);
      await writeRow(enc.sink, tradeToRow(t));
      const [parsed] = parseIlp(enc.bytes());
      expect(parsed?.table).toBe('trades');
      expect(parsed?.timestampUs).toBe(1_700_000_000_123_000n);
      expect(parsed?.symbols.portfolio_id).toBe('p 1,=x');
      expect(parsed?.fields.failure_reason).toEqual({ type: 'string', value: 'a "quote", a \\ and\na line break' });
      expect(parsed?.fields.expected_price).toEqual({ type: 'double', value: 0.3333333333333333 });
      expect(parsed?.fields.network_fee_lamports).toEqual({ type: 'long', value: 2_054_280n });
      expect(parsed?.fields.mev_simulated).toEqual({ type: 'boolean', value: false });
    });
  }
});

describe('markToRow', () => {
  const mark: MarkRecord = {
    portfolioId: 'alpha',
    sequence: 12,
    atMs: 1_700_000_000_456,
    holdings: [
      { mint: SOL_MINT, amount: 2_000_000_000n },
      { mint: USDC_MINT, amount: 1_000_000n },
    ],
    prices: [
      { mint: SOL_MINT, usd: ratio(150n) },
      { mint: USDC_MINT, usd: ratio(1n) },
    ],
    valueUsd: ratio(301n),
  };
  const get = <T>(cols: readonly (readonly [string, T])[], name: string): T | undefined => cols.find(([k]) => k === name)?.[1];

  it('is one row at the mark time with its values as doubles and its sequence and holdings count', () => {
    const row = markToRow(mark);
    expect(row.timestampUs).toBe(1_700_000_000_456_000n);
    expect(row.symbols).toEqual([['portfolio_id', 'alpha']]);
    expect(Object.fromEntries(row.floats)).toEqual({ value_usd: 301, value_sol: 301 / 150, sol_usd: 150 });
    expect(Object.fromEntries(row.ints)).toEqual({ sequence: 12, holdings: 2 });
    expect(row.strings).toEqual([]);
  });

  it('leaves value_sol and sol_usd NULL without a SOL price', () => {
    const row = markToRow({ ...mark, prices: mark.prices.filter((p) => p.mint !== SOL_MINT) });
    expect(get(row.floats, 'value_usd')).toBe(301);
    expect(row.floats.map(([k]) => k)).toEqual(['value_usd']);
  });

  it('a value a double cannot hold exactly becomes the nearest double', () => {
    expect(get(markToRow({ ...mark, valueUsd: ratio(1n, 3n) }).floats, 'value_usd')).toBe(1 / 3);
  });

  for (const version of ['1', '2'] as const) {
    it(`round-trips through the client's protocol v${version} encoding and the strict parser`, async () => {
      const enc = encoder(version);
      await writeRow(enc.sink, markToRow(mark), MARKS_TABLE);
      const [parsed] = parseIlp(enc.bytes());
      expect(parsed?.table).toBe('portfolio_marks');
      expect(parsed?.timestampUs).toBe(1_700_000_000_456_000n);
      expect(parsed?.symbols).toEqual({ portfolio_id: 'alpha' });
      expect(parsed?.fields.value_usd).toEqual({ type: 'double', value: 301 });
      expect(parsed?.fields.sequence).toEqual({ type: 'long', value: 12n });
      expect(parsed?.fields.holdings).toEqual({ type: 'long', value: 2n });
    });
  }
});
