/** `pte trade --landing` / `--pricing`, and how a landing-time result reads. */
import { describe, expect, it } from 'vitest';
import type { TradeResultMessage } from '../client/index.js';
import { UsageError } from './args.js';
import { formatTradeResult } from './format.js';
import { parseTradeArgs } from './trade.js';

const ID = '0b6f6d4e-8a47-4c1e-9f0a-2f5d1c3b4a59';
const parse = (...argv: string[]) => parseTradeArgs(argv, {}, () => ID);

describe('pte trade: execution pricing', () => {
  it('--landing and --pricing set execution_pricing; without them the server decides', () => {
    expect(parse('buy', 'SOL/USDC', '1').request.executionPricing).toBeUndefined();
    expect(parse('buy', 'SOL/USDC', '1', '--landing').request.executionPricing).toBe('LANDING');
    expect(parse('buy', 'SOL/USDC', '1', '--pricing', 'landing').request.executionPricing).toBe('LANDING');
    expect(parse('buy', 'SOL/USDC', '1', '--pricing', 'IMMEDIATE').request.executionPricing).toBe('IMMEDIATE');
  });

  it('an unknown or contradictory pricing is a usage error', () => {
    expect(() => parse('buy', 'SOL/USDC', '1', '--pricing', 'later')).toThrow(UsageError);
    expect(() => parse('buy', 'SOL/USDC', '1', '--pricing', 'later')).toThrow(/--pricing: expected immediate or landing/);
    expect(() => parse('buy', 'SOL/USDC', '1', '--landing', '--pricing', 'immediate')).toThrow(/--landing contradicts --pricing immediate/);
  });

  it('the readable result shows the landing delay and the wait', () => {
    const SOL = { symbol: 'SOL', mint: 'So11111111111111111111111111111111111111112', decimals: 9 };
    const USDC = { symbol: 'USDC', mint: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', decimals: 6 };
    const result: TradeResultMessage = {
      requestId: ID,
      trade: {
        tradeId: 't',
        requestId: ID,
        portfolioId: 'default',
        action: 'TRADE_ACTION_BUY',
        status: 'TRADE_STATUS_FILLED',
        base: SOL,
        quote: USDC,
        input: USDC,
        output: SOL,
        inputAmount: '150',
        outputAmount: '1',
        expectedPrice: '150',
        executedPrice: '150',
        slippageBps: 0,
        mevImpactBps: 0,
        priceImpactBps: 0,
        networkFeeLamports: '5000',
        executedAt: { seconds: '1735689601', nanos: 300_000_000 },
        priceSource: 'sim',
        mev: null,
        slippageModel: 'fixed',
        seed: '1',
        fees: null,
        slippageExplanation: '',
        route: [],
        failureReason: '',
        sequence: '2',
        metadata: null,
        landing: {
          pricing: 'EXECUTION_PRICING_LANDING',
          slots: 3,
          delayMs: '1200',
          sentAt: { seconds: '1735689600', nanos: 0 },
          pricedAt: { seconds: '1735689601', nanos: 201_000_000 },
        },
      },
      portfolioState: null,
      executionMetrics: {
        totalUs: '1210000',
        validationUs: '10',
        priceLookupUs: '40',
        slippageUs: '3',
        mevUs: '0',
        portfolioUpdateUs: '20',
        journalUs: '900',
        cacheHit: false,
        priceFetchAttempts: 1,
        priceSource: 'sim',
        landingWaitUs: '1201000',
      },
      warnings: [],
    };
    const text = formatTradeResult(result);
    expect(text).toMatch(/landing\s+priced at landing: 3 slots \(1,200 ms\) landing delay, priced 1,201 ms after sending/);
    expect(text).toMatch(/landing wait/);
    expect(text).toMatch(/1,201,000/);
  });
});
