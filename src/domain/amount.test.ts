import { describe, expect, it } from 'vitest';
import { formatAmount, parseAmount } from './amount.js';
import { isExecutorError } from './errors.js';

describe('parseAmount', () => {
  it('reads plain decimals into base units exactly', () => {
    expect(parseAmount('1', 9, 'amount')).toBe(1_000_000_000n);
    expect(parseAmount('0.000000001', 9, 'amount')).toBe(1n);
    expect(parseAmount('1.50', 6, 'amount')).toBe(1_500_000n);
    expect(parseAmount('123456789012345678901234567890', 0, 'amount')).toBe(123456789012345678901234567890n);
  });

  it.each(['0', '0.0', '-1', '1e3', 'NaN', 'Infinity', '0x10', '1_000', '', ' 1', '1 ', '.5', '5.', '+1', '1,5', '１', '1e100000000', '-0'])(
    'rejects %j naming the field',
    (text) => {
      try {
        parseAmount(text, 9, 'amount');
        expect.unreachable();
      } catch (e) {
        expect(isExecutorError(e, 'INVALID_ARGUMENT')).toBe(true);
        expect((e as Error).message).toMatch(/^amount: /);
      }
    },
  );

  it('rejects one decimal more than the token has, accepts exactly as many', () => {
    expect(parseAmount('0.123456', 6, 'amount')).toBe(123_456n);
    expect(() => parseAmount('0.1234567', 6, 'amount')).toThrow(/amount: .*7 decimals; the token has 6/);
  });

  it('rejects absurdly long input quickly', () => {
    expect(() => parseAmount('9'.repeat(100_000), 9, 'amount')).toThrow(/longer than/);
  });

  it('formats base units back', () => {
    expect(formatAmount(1_500_000n, 6)).toBe('1.5');
    expect(formatAmount(1n, 9)).toBe('0.000000001');
    expect(formatAmount(0n, 9)).toBe('0');
  });
});
