import { describe, expect, it } from 'vitest';
import { UsageError } from './args.js';
import { parseTradeArgs } from './trade.js';

const ID = '0b6f6d4e-8a47-4c1e-9f0a-2f5d1c3b4a59';
const parse = (...argv: string[]) => parseTradeArgs(argv, {}, () => ID);

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('parseTradeArgs', () => {
  it('buy BASE/QUOTE amount: amount in base units, a fresh request id, default address', () => {
    const cmd = parse('buy', 'SOL/USDC', '1');
    expect(cmd.request).toEqual({
      requestId: ID,
      action: 'BUY',
      baseToken: 'SOL',
      quoteToken: 'USDC',
      amount: '1',
      isBaseInput: true,
      simulateMev: false,
    });
    expect(cmd.addr).toBe('127.0.0.1:50051');
    expect(cmd.json).toBe(false);
  });

  it('--in quote makes the amount quote units (is_base_input = false)', () => {
    expect(parse('buy', 'SOL/USDC', '150', '--in', 'quote').request.isBaseInput).toBe(false);
    expect(parse('sell', 'SOL/USDC', '2', '--in', 'base').request.isBaseInput).toBe(true);
  });

  it('accepts actions in any case, and sell and swap', () => {
    expect(parse('SELL', 'SOL/USDC', '1').request.action).toBe('SELL');
    expect(parse('swap', 'JUP/SOL', '100').request.action).toBe('SWAP');
  });

  it('maps every option onto the request', () => {
    const cmd = parse(
      'sell', 'BONK/USDC', '1000000',
      '--portfolio', 'alice',
      '--slippage-model', 'cpmm',
      '--param', 'depthUsd=250000',
      '--param', 'label=deep',
      '--param', 'strict=true',
      '--tolerance-bps', '150',
      '--max-impact-bps', '500',
      '--priority-fee', '10000',
      '--mev',
      '--mev-protection', 'jito_bundle',
      '--request-id', 'a0a0a0a0-0000-4000-8000-000000000001',
      '--json',
      '--addr', 'executor:6000',
    );
    expect(cmd.request).toEqual({
      requestId: 'a0a0a0a0-0000-4000-8000-000000000001',
      action: 'SELL',
      baseToken: 'BONK',
      quoteToken: 'USDC',
      amount: '1000000',
      isBaseInput: true,
      simulateMev: true,
      portfolioId: 'alice',
      slippageModel: { name: 'cpmm', params: { depthUsd: 250000, label: 'deep', strict: true } },
      slippageToleranceBps: 150,
      maxPriceImpactBps: 500,
      priorityFee: '10000',
      mevProtection: 'JITO_BUNDLE',
    });
    expect(cmd.json).toBe(true);
    expect(cmd.addr).toBe('executor:6000');
  });

  it('--slippage-bps is sugar for the fixed model', () => {
    expect(parse('buy', 'SOL/USDC', '1', '--slippage-bps', '75').request.slippageModel).toEqual({ name: 'fixed', params: { bps: 75 } });
    expect(parse('buy', 'SOL/USDC', '1', '--slippage-model', 'fixed', '--slippage-bps', '5').request.slippageModel).toEqual({
      name: 'fixed',
      params: { bps: 5 },
    });
  });

  it('takes the address from PTE_ADDR when --addr is absent', () => {
    expect(parseTradeArgs(['buy', 'SOL/USDC', '1'], { PTE_ADDR: 'h:7000' }, () => ID).addr).toBe('h:7000');
  });

  it('leaves amount and token rules to the server, which knows the decimals', () => {
    expect(parse('buy', 'sol/usdc', '0.000000001').request).toMatchObject({ baseToken: 'sol', quoteToken: 'usdc', amount: '0.000000001' });
  });

  it.each([
    [['buy', 'SOL/USDC'], /expected <buy\|sell\|swap> <BASE\/QUOTE> <amount>/],
    [['hold', 'SOL/USDC', '1'], /unknown action "hold"/],
    [['buy', 'SOLUSDC', '1'], /not a pair; write BASE\/QUOTE/],
    [['buy', 'SOL/', '1'], /not a pair/],
    [['buy', 'SOL/USDC', '1', '--in', 'usd'], /--in: expected base or quote/],
    [['buy', 'SOL/USDC', '1', '--tolerance-bps', '5000'], /--tolerance-bps: "5000" must be a whole number from 0 to 4999/],
    [['buy', 'SOL/USDC', '1', '--max-impact-bps', '-1'], /--max-impact-bps/],
    [['buy', 'SOL/USDC', '1', '--priority-fee', '1000000'], /--priority-fee/],
    [['buy', 'SOL/USDC', '1', '--mev-protection', 'jito'], /--mev-protection: expected public, jito_bundle, jito_dontfront, private/],
    [['buy', 'SOL/USDC', '1', '--param', 'bps=5'], /--param needs --slippage-model/],
    [['buy', 'SOL/USDC', '1', '--param', '=5', '--slippage-model', 'fixed'], /--param: "=5" must be KEY=VALUE/],
    [['buy', 'SOL/USDC', '1', '--slippage-model', 'cpmm', '--slippage-bps', '5'], /--slippage-bps is the fixed model's parameter/],
    [['buy', 'SOL/USDC', '1', '--slipage-bps', '5'], /Unknown option '--slipage-bps'/],
    [['buy', 'SOL/USDC', '1', '--addr', 'nohost'], /--addr: "nohost" is not host:port/],
  ])('refuses %j as a usage error', (argv, message) => {
    const e = usageError(() => parse(...argv));
    expect(e.message).toMatch(message);
  });
});
