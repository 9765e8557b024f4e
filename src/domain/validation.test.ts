import { describe, expect, it } from 'vitest';
import { isExecutorError, type ErrorCode } from './errors.js';
import type { RawTradeRequest } from './request.js';
import { registry, SOL } from '../../test/support/domain.js';
import { requestFingerprint, validateTradeRequest } from './validation.js';

const valid: RawTradeRequest = {
  requestId: '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60',
  action: 'BUY',
  baseToken: 'SOL',
  quoteToken: 'USDC',
  amount: '1.5',
  isBaseInput: true,
  priorityFee: '0',
  simulateMev: false,
  portfolioId: '',
  mevProtection: 'UNSPECIFIED',
};

function rejection(patch: Partial<RawTradeRequest>): { code: ErrorCode; field: unknown; message: string } {
  try {
    validateTradeRequest({ ...valid, ...patch }, registry);
  } catch (e) {
    if (isExecutorError(e)) return { code: e.code, field: e.context.field, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('validateTradeRequest', () => {
  it('accepts a valid request, resolving symbols case-insensitively and defaulting the portfolio', () => {
    const r = validateTradeRequest({ ...valid, baseToken: 'sol', quoteToken: 'usdc' }, registry);
    expect(r.base).toBe(SOL);
    expect(r.amount).toBe(1_500_000_000n);
    expect(r.portfolioId).toBe('default');
    expect(r.mevProtection).toBe('PUBLIC');
  });

  it.each([
    [{ requestId: 'not-a-uuid' }, 'request_id'],
    [{ action: 'UNSPECIFIED' as const }, 'action'],
    [{ action: 7 }, 'action'],
    [{ amount: '0' }, 'amount'],
    [{ amount: '1.0000000001' }, 'amount'],
    [{ baseToken: '' }, 'base_token'],
    [{ quoteToken: 'So11111111111111111111111111111111111111112' }, 'quote_token'],
    [{ priorityFee: '1000000' }, 'priority_fee'],
    [{ slippageToleranceBps: 5_000 }, 'slippage_tolerance_bps'],
    [{ maxPriceImpactBps: 10_001 }, 'max_price_impact_bps'],
    [{ portfolioId: 'a b' }, 'portfolio_id'],
    [{ portfolioId: 'x'.repeat(65) }, 'portfolio_id'],
    [{ mevProtection: 9 }, 'mev_protection'],
    [{ slippageModel: { name: '', params: {} } }, 'slippage_model.name'],
    [{ slippageModel: { name: '', params: { bps: 75 } } }, 'slippage_model.name'],
  ])('rejects %j as INVALID_ARGUMENT naming %s', (patch, field) => {
    const r = rejection(patch);
    expect(r.code).toBe('INVALID_ARGUMENT');
    expect(r.field).toBe(field);
    expect(r.message.startsWith(`${field}: `)).toBe(true);
  });

  it('accepts each limit one step inside the boundary', () => {
    expect(validateTradeRequest({ ...valid, priorityFee: '999999' }, registry).priorityFee).toBe(999_999n);
    expect(validateTradeRequest({ ...valid, slippageToleranceBps: 4_999 }, registry).slippageToleranceBps).toBe(4_999);
    expect(validateTradeRequest({ ...valid, maxPriceImpactBps: 10_000 }, registry).maxPriceImpactBps).toBe(10_000);
    expect(validateTradeRequest({ ...valid, amount: '1.000000001' }, registry).amount).toBe(1_000_000_001n);
  });

  it('slippage_model absent is the server default; present, it is kept for the pipeline', () => {
    expect(validateTradeRequest(valid, registry).slippageModel).toBeUndefined();
    expect(validateTradeRequest({ ...valid, slippageModel: { name: 'fixed', params: { bps: 75 } } }, registry).slippageModel).toEqual({ name: 'fixed', params: { bps: 75 } });
  });

  it('an unknown token is NOT_FOUND naming the field', () => {
    expect(rejection({ baseToken: 'NOPE' })).toMatchObject({ code: 'TOKEN_NOT_FOUND', field: 'base_token' });
  });

  it('the fingerprint ignores request spelling but not payload', () => {
    const a = validateTradeRequest(valid, registry);
    const b = validateTradeRequest({ ...valid, baseToken: SOL.mint, quoteToken: 'usdc' }, registry);
    const c = validateTradeRequest({ ...valid, amount: '2' }, registry);
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
    expect(requestFingerprint(a)).not.toBe(requestFingerprint(c));
  });
});
