import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorClient, TradeRequestInput } from '../src/client/index.js';
import { rejection, startTestServer, trade } from './support.js';

// Every validation rule of DESIGN.md, tested at its boundary over a real gRPC connection.
let client: ExecutorClient;
let stop: () => Promise<void>;
beforeAll(async () => ({ client, stop } = await startTestServer()));
afterAll(() => stop());

const cases: [string, Partial<TradeRequestInput>, number, string][] = [
  ['request_id not a UUID', { requestId: 'abc' }, status.INVALID_ARGUMENT, 'request_id'],
  ['action unspecified', { action: 'TRADE_ACTION_UNSPECIFIED' }, status.INVALID_ARGUMENT, 'action'],
  ['action out of range', { action: 42 }, status.INVALID_ARGUMENT, 'action'],
  ['priority_fee 1,000,000', { priorityFee: 1_000_000 }, status.INVALID_ARGUMENT, 'priority_fee'],
  ['slippage_tolerance_bps 5,000', { slippageToleranceBps: 5_000 }, status.INVALID_ARGUMENT, 'slippage_tolerance_bps'],
  ['max_price_impact_bps 10,001', { maxPriceImpactBps: 10_001 }, status.INVALID_ARGUMENT, 'max_price_impact_bps'],
  ['empty base token', { baseToken: '' }, status.INVALID_ARGUMENT, 'base_token'],
  ['empty quote token', { quoteToken: '' }, status.INVALID_ARGUMENT, 'quote_token'],
  ['same token by symbol and mint', { quoteToken: 'So11111111111111111111111111111111111111112' }, status.INVALID_ARGUMENT, 'quote_token'],
  ['unknown token', { baseToken: 'NOTATOKEN' }, status.NOT_FOUND, 'base_token'],
  ['portfolio id with spaces', { portfolioId: 'my book' }, status.INVALID_ARGUMENT, 'portfolio_id'],
  ['unknown slippage model', { slippageModel: { name: 'magic' } }, status.INVALID_ARGUMENT, 'slippage_model'],
  ['bad model parameter', { slippageModel: { name: 'fixed', params: { bps: 5_000 } } }, status.INVALID_ARGUMENT, 'slippage_model.params.bps'],
  ['model parameter as a string', { slippageModel: { name: 'fixed', params: { bps: '75' } } }, status.INVALID_ARGUMENT, 'slippage_model.params.bps: must be a number'],
  ['slippage model present with an empty name', { slippageModel: { name: '' } }, status.INVALID_ARGUMENT, 'slippage_model.name'],
  ['unknown mev protection', { mevProtection: 17 }, status.INVALID_ARGUMENT, 'mev_protection'],
];
for (const amount of ['0', '-1', '1e3', 'NaN', 'Infinity', '0x10', '1_000', '', ' 1', '1.0000000001']) {
  cases.push([`amount ${JSON.stringify(amount)}`, { amount }, status.INVALID_ARGUMENT, 'amount']);
}

describe('validation over gRPC', () => {
  it.each(cases)('%s is refused with the right status, naming the field', async (_name, patch, code, field) => {
    const before = await client.getPortfolio();
    const r = await rejection(client.executeTrade(trade(patch)));
    expect(r.code).toBe(code);
    expect(r.details.startsWith(field)).toBe(true);
    const after = await client.getPortfolio();
    expect(after.balances).toEqual(before.balances);
    expect(after.tradeCount).toBe(before.tradeCount);
  });

  it.each([
    ['priority_fee 999,999', { priorityFee: 999_999 }],
    ['slippage_tolerance_bps 4,999', { slippageToleranceBps: 4_999 }],
    ['max_price_impact_bps 10,000', { maxPriceImpactBps: 10_000 }],
    ['amount with exactly 9 decimals', { amount: '0.010000001', action: 'SELL' as const }],
    ['tokens by mint', { baseToken: 'So11111111111111111111111111111111111111112', quoteToken: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v' }],
    ['lower-case symbols', { baseToken: 'sol', quoteToken: 'usdc' }],
  ])('%s is accepted', async (_name, patch) => {
    const r = await client.executeTrade(trade({ amount: '0.01', ...patch }));
    expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
  });
});
