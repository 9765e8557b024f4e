import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ExecutorError, invalidArgument, isExecutorError } from './errors.js';

describe('ExecutorError: one code table, a typed context per code', () => {
  it('isExecutorError with a code narrows to that code and its context', () => {
    const e: unknown = new ExecutorError('INSUFFICIENT_BALANCE', 'insufficient SOL', { token: 'SOL' });
    expect(isExecutorError(e, 'INSUFFICIENT_BALANCE') && e.context.token).toBe('SOL');
    expect(isExecutorError(e, 'PRICE_IMPACT_TOO_HIGH')).toBe(false);
    expect(isExecutorError(e)).toBe(true);
    expect(isExecutorError(new Error('x'))).toBe(false);
  });

  it('requires the context a code declares, and rejects keys it does not', () => {
    // @ts-expect-error INSUFFICIENT_BALANCE names the token the portfolio is short of
    const missing = new ExecutorError('INSUFFICIENT_BALANCE', 'insufficient SOL');
    // @ts-expect-error PRICE_UNAVAILABLE has no `token`
    const wrong = new ExecutorError('PRICE_UNAVAILABLE', 'no price', { token: 'SOL' });
    expect([missing.context, wrong.code]).toEqual([{}, 'PRICE_UNAVAILABLE']);
    expect(new ExecutorError('SHUTTING_DOWN', 'draining').context).toEqual({});
  });

  it('invalidArgument names the field in the message and the context; from() keeps codes and wraps the rest as INTERNAL', () => {
    const e = invalidArgument('slippage_model.params.bps', 'must be a number');
    expect([e.message, e.context.field, e.status]).toEqual(['slippage_model.params.bps: must be a number', 'slippage_model.params.bps', ERROR_CODES.INVALID_ARGUMENT.status]);
    expect(ExecutorError.from(e)).toBe(e);
    const wrapped = ExecutorError.from(new TypeError('boom'));
    expect([wrapped.code, wrapped.message, wrapped.cause instanceof TypeError]).toEqual(['INTERNAL', 'internal error: boom', true]);
  });
});
