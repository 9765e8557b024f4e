import { describe, expect, it } from 'vitest';
import type { PortfolioSummaryMessage, TradeMessage, TradeResultMessage } from '../client/index.js';
import { formatPortfolio, formatTradeResult, formatTrades, groupDigits, lamports, price, roundDecimal, table, usd } from './format.js';

const SOL = { symbol: 'SOL', mint: 'So11111111111111111111111111111111111111112', decimals: 9 };
const USDC = { symbol: 'USDC', mint: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', decimals: 6 };

const portfolio: PortfolioSummaryMessage = {
  portfolioId: 'default',
  balances: [
    { token: SOL, amount: '101', usdValue: '15150', avgCostUsd: '150.0049504950495' },
    { token: USDC, amount: '9848.5', usdValue: '9848.5', avgCostUsd: '1' },
  ],
  totalValueUsd: '24998.5',
  realizedPnlUsd: '0',
  unrealizedPnlUsd: '-1.505',
  tradeCount: '1',
  feesPaidLamports: '2044280',
  updatedAt: { seconds: '1735689600', nanos: 0 },
  priceSource: 'sim',
  stateHash: '',
};

const trade: TradeMessage = {
  tradeId: 'tr-0001',
  requestId: '0b6f6d4e-8a47-4c1e-9f0a-2f5d1c3b4a59',
  portfolioId: 'default',
  action: 'TRADE_ACTION_BUY',
  status: 'TRADE_STATUS_FILLED',
  base: SOL,
  quote: USDC,
  input: USDC,
  output: SOL,
  inputAmount: '151.5',
  outputAmount: '1',
  expectedPrice: '150',
  executedPrice: '151.5',
  slippageBps: 100,
  mevImpactBps: 0,
  priceImpactBps: 1.25,
  networkFeeLamports: '2044280',
  executedAt: { seconds: '1735689600', nanos: 123_000_000 },
  priceSource: 'sim',
  mev: { simulated: false, attackProbability: 0, attacked: false, lossUsd: '0', riskLevel: 'none' },
  slippageModel: 'fixed',
  seed: '18446744073709551615',
  fees: { baseFeeLamports: '5000', priorityFeeLamports: '0', rentLamports: '2039280', signatures: 1 },
  slippageExplanation: 'fixed 100 bps',
  route: [],
  failureReason: '',
  sequence: '7',
  metadata: null,
  landing: null,
};

const result: TradeResultMessage = {
  requestId: trade.requestId,
  trade,
  portfolioState: portfolio,
  executionMetrics: {
    totalUs: '1234',
    validationUs: '12',
    priceLookupUs: '40',
    slippageUs: '3',
    mevUs: '0',
    portfolioUpdateUs: '20',
    journalUs: '1100',
    cacheHit: true,
    priceFetchAttempts: 1,
    priceSource: 'sim',
    landingWaitUs: '0',
  },
  warnings: ['fill is 100.0 bps from the expected price, 33 % of the tolerance'],
};

describe('formatTradeResult', () => {
  const text = formatTradeResult(result);
  const lines = text.split('\n');

  it('opens with the status and what was bought for what', () => {
    expect(lines[0]).toBe('FILLED  bought 1 SOL for 151.5 USDC');
  });

  it('shows expected vs executed price in quote per base, slippage and price impact', () => {
    expect(text).toMatch(/price\s+expected 150, executed 151\.5 USDC per SOL/);
    expect(text).toMatch(/slippage\s+100\.0 bps \(fixed 100 bps\)/);
    expect(text).toMatch(/price impact\s+1\.3 bps/);
  });

  it('shows the network fee in lamports and SOL with its breakdown', () => {
    expect(text).toMatch(
      /network fee\s+2,044,280 lamports \(0\.00204428 SOL\): base 5,000 \(1 signature\) \+ priority 0 \+ rent 2,039,280/,
    );
  });

  it('names the trade, its seed (exact) and the price source', () => {
    expect(text).toContain('tr-0001 (portfolio default, ledger entry 7, seed 18446744073709551615)');
    expect(text).toMatch(/price source\s+sim \(cache hit, 1 attempt\)/);
    expect(text).toMatch(/executed at\s+2025-01-01 00:00:00Z/);
  });

  it('lists warnings, the new balances and the timings in µs', () => {
    expect(text).toContain('warnings\n  - fill is 100.0 bps from the expected price');
    expect(text).toContain('balances (portfolio default)');
    expect(text).toMatch(/^ {2}token\s+amount\s+USD value\s+avg cost$/m);
    expect(text).toMatch(/^ {2}SOL\s+101\s+\$15,150\.00\s+\$150\.00$/m);
    expect(text).toMatch(/^ {2}USDC\s+9848\.5\s+\$9,848\.50\s+\$1\.00$/m);
    expect(text).toContain('timings (µs)');
    expect(text).toMatch(/total\s+validation\s+price\s+slippage\s+mev\s+portfolio\s+journal/);
    expect(text).toMatch(/1,234\s+12\s+40\s+3\s+0\s+20\s+1,100/);
  });

  it('omits the MEV line when no attack was simulated, and shows it when one was', () => {
    expect(text).not.toMatch(/^\s+mev\s/m);
    const attacked = formatTradeResult({
      ...result,
      trade: {
        ...trade,
        mevImpactBps: 42.5,
        mev: { simulated: true, attackProbability: 0.35, attacked: true, lossUsd: '0.64', riskLevel: 'high' },
      },
    });
    expect(attacked).toMatch(/mev\s+sandwiched: lost \$0\.64 \(42\.5 bps\); 35\.0 % attack probability, risk high/);
  });

  it('explains a failed trade: nothing moved, the fee was charged', () => {
    const failed = formatTradeResult({
      ...result,
      trade: {
        ...trade,
        status: 'TRADE_STATUS_FAILED_SLIPPAGE',
        outputAmount: '0',
        failureReason: 'fill 3.1 % worse than expected; tolerance 3 %',
      },
    });
    expect(failed.split('\n')[0]).toBe(
      'FAILED_SLIPPAGE  did not buy SOL with USDC: fill 3.1 % worse than expected; tolerance 3 % (no tokens moved; the network fee was charged)',
    );
  });

  it('phrases sells and swaps from the input side', () => {
    const sell = { ...trade, action: 'TRADE_ACTION_SELL' as const, input: SOL, output: USDC, inputAmount: '2', outputAmount: '297' };
    expect(formatTradeResult({ ...result, trade: sell }).split('\n')[0]).toBe('FILLED  sold 2 SOL for 297 USDC');
    const swap = { ...sell, action: 'TRADE_ACTION_SWAP' as const };
    expect(formatTradeResult({ ...result, trade: swap }).split('\n')[0]).toBe('FILLED  swapped 2 SOL for 297 USDC');
  });
});

describe('formatPortfolio and formatTrades', () => {
  it('shows balances, total value, PnL, trade count and fees', () => {
    const text = formatPortfolio(portfolio);
    expect(text.split('\n')[0]).toBe('portfolio default (prices: sim, updated 2025-01-01 00:00:00Z)');
    expect(text).toMatch(/total value\s+\$24,998\.50/);
    expect(text).toMatch(/realized PnL\s+\$0\.00/);
    expect(text).toMatch(/unrealized PnL\s+-\$1\.51/);
    expect(text).toMatch(/trades\s+1$/m);
    expect(text).toMatch(/fees paid\s+2,044,280 lamports \(0\.00204428 SOL\)/);
  });

  it('lists trades one per row with aligned columns', () => {
    const text = formatTrades([trade, { ...trade, sequence: '6', tradeId: 'tr-0000' }]);
    const [header, first, second] = text.split('\n');
    expect(header).toMatch(/^#\s+time \(UTC\)\s+action\s+status\s+pair\s+in\s+out\s+price\s+slip bps\s+fee lamports\s+trade id$/);
    expect(first).toMatch(/^7\s+2025-01-01 00:00:00Z\s+BUY\s+FILLED\s+SOL\/USDC\s+151\.5 USDC\s+1 SOL\s+151\.5\s+100\.0\s+2,044,280\s+tr-0001$/);
    expect(second?.indexOf('tr-0000')).toBe(first?.indexOf('tr-0001'));
    expect(formatTrades([])).toBe('no trades yet');
  });
});

describe('helpers', () => {
  it('table pads columns and right-aligns numbers', () => {
    expect(table(['a', 'bb'], [['xyz', '1'], ['q', '100']], ['left', 'right'])).toBe('a     bb\nxyz    1\nq    100');
  });

  it('rounds and groups exact decimals without floating point', () => {
    expect(groupDigits('1234567.891')).toBe('1,234,567.891');
    expect(roundDecimal('2.345', 2)).toBe('2.35');
    expect(roundDecimal('123456789012345678901.005', 2)).toBe('123456789012345678901.01');
    expect(usd('-0.004')).toBe('$0.00');
    expect(usd('1000000')).toBe('$1,000,000.00');
    expect(lamports('5000')).toBe('5,000 lamports (0.000005 SOL)');
    expect(price('151.123456789')).toBe('151.123457');
    expect(price('0.0000234567891')).toBe('0.0000234568');
  });
});
