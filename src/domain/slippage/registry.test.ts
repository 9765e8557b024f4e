import { describe, expect, it } from 'vitest';
import { isExecutorError } from '../errors.js';
import { createSlippageRegistry } from './registry.js';

const registry = createSlippageRegistry();
const fieldOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (isExecutorError(e, 'INVALID_ARGUMENT')) return e.context.field;
    throw e;
  }
  return undefined;
};

describe('slippage registry', () => {
  it('knows every built-in model by name', () => {
    expect(registry.names).toEqual(['fixed', 'quote', 'cpmm', 'sqrt', 'random']);
    for (const name of registry.names) expect(registry.create({ name, params: {} }, 'slippage_model').name).toBe(name);
  });
  it('rejects an unknown name, naming the field', () => {
    expect(fieldOf(() => registry.create({ name: 'linear', params: {} }, 'slippage_model'))).toBe('slippage_model.name');
  });
  it.each([
    ['quote', { driftBps: 501 }, 'driftBps'],
    ['quote', { jitter: -0.1 }, 'jitter'],
    ['cpmm', { reserveShare: 0 }, 'reserveShare'],
    ['cpmm', { depthUsd: 'deep' }, 'depthUsd'],
    ['sqrt', { k: 11 }, 'k'],
    ['sqrt', { volatility: -1 }, 'volatility'],
    ['sqrt', { sigma: 1 }, 'sigma'],
    ['random', { baseBps: 5_000 }, 'baseBps'],
    ['random', { baseBps: 10, spreadBps: 11 }, 'spreadBps'],
    ['random', { baseBps: 4_000, spreadBps: 1_000 }, 'spreadBps'],
    ['fixed', { bps: '75' }, 'bps'],
    ['random', { baseBps: '10' }, 'baseBps'],
  ])('rejects %s with %j, naming params.%s', (name, params, key) => {
    expect(fieldOf(() => registry.create({ name, params }, 'slippage_model'))).toBe(`slippage_model.params.${key}`);
  });
  it('refuses a number sent as a string, saying so', () => {
    expect(() => registry.create({ name: 'fixed', params: { bps: '75' } }, 'slippage_model')).toThrow('slippage_model.params.bps: must be a number, got a string');
    expect(registry.create({ name: 'fixed', params: { bps: 75 } }, 'slippage_model').name).toBe('fixed');
  });
});
