import { describe, expect, it } from 'vitest';
import { isExecutorError } from '../domain/errors.js';
import type { TradeRequest } from '../domain/request.js';
import type { Trade } from '../domain/trade.js';
import { requestFingerprint } from '../domain/validation.js';
import { request, SOL, USDC } from '../../test/support/domain.js';
import { makeTrade } from '../../test/support/report.js';
import { createIdempotency } from './idempotency.js';
import type { TradeHistory } from './ports.js';
import type { TradeResult } from './types.js';

const REQUEST_ID = '6f1c2d3e-4b5a-4c6d-8e7f-001122334455';
const asked = (metadata?: TradeRequest['metadata']): TradeRequest => ({ ...request('BUY', SOL, USDC, 1_000_000_000n, true), requestId: REQUEST_ID, portfolioId: 'p', metadata });

/** A journal history holding one trade booked with `fingerprint`. */
function historyWith(fingerprint: string): TradeHistory & { reads: number } {
  const base = makeTrade({ sequence: 2, atMs: 1, action: 'BUY', base: SOL, quote: USDC, amount: 1_000_000_000n, isBaseInput: true, baseUsd: '150', quoteUsd: '1', portfolioId: 'p' });
  const trade: Trade = { ...base, requestId: REQUEST_ID, inputs: { ...base.inputs, fingerprint } };
  const h = {
    reads: 0,
    findTrade(portfolioId: string, requestId: string) {
      if (portfolioId !== 'p' || requestId.toLowerCase() !== REQUEST_ID) return undefined;
      h.reads++;
      return Promise.resolve(trade);
    },
    listTrades: () => Promise.resolve({ trades: [trade], more: false }),
  };
  return h;
}

const recovered = (trade: Trade): Promise<TradeResult> => Promise.resolve({ requestId: trade.requestId, trade, warnings: ['recovered'] } as unknown as TradeResult);

async function codeOf(p: Promise<unknown> | undefined): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return isExecutorError(e) ? e.code : 'OTHER';
  }
}

describe('idempotency', () => {
  it('answers a new request id with nothing, and a tracked one with its original result, in any letter case', async () => {
    const idem = createIdempotency({ history: historyWith('other'), recovered });
    const other = { ...asked(), requestId: '00000000-0000-4000-8000-000000000000' };
    const fp = requestFingerprint(other);
    expect(idem.lookup(other, fp)).toBeUndefined();
    const result = Promise.resolve({ requestId: other.requestId } as TradeResult);
    idem.track(other, fp, result);
    expect(await idem.lookup({ ...other, requestId: other.requestId.toUpperCase() }, fp)).toBe(await result);
  });

  it('treats absent and empty metadata as one payload, and matches a trade journaled with the earlier `{}` fingerprint', async () => {
    const legacy = requestFingerprint({ ...asked(), metadata: {} });
    const idem = createIdempotency({ history: historyWith(legacy), recovered });
    const again = idem.lookup(asked(), requestFingerprint(asked()));
    expect((await again)?.warnings).toEqual(['recovered']);
  });

  it('refuses the same request id with a different payload (DUPLICATE_REQUEST), in flight or journaled', async () => {
    const idem = createIdempotency({ history: historyWith(requestFingerprint(asked())), recovered });
    const changed = asked({ strategy: 'other' });
    expect(await codeOf(idem.lookup(changed, requestFingerprint(changed)))).toBe('DUPLICATE_REQUEST');
  });

  it('reads a journaled original once, then answers from what it keeps; a reset portfolio forgets it', async () => {
    const history = historyWith(requestFingerprint(asked()));
    const idem = createIdempotency({ history, recovered });
    await idem.lookup(asked(), requestFingerprint(asked()));
    await idem.lookup(asked(), requestFingerprint(asked()));
    expect(history.reads).toBe(1);
    idem.forgetPortfolio('p');
    await idem.lookup(asked(), requestFingerprint(asked()));
    expect(history.reads).toBe(2);
  });

  it('forgets a request whose execution failed, so it may be retried', async () => {
    const idem = createIdempotency({ history: historyWith('x'), recovered });
    const other = { ...asked(), requestId: '00000000-0000-4000-8000-000000000001' };
    const failed = Promise.reject(new Error('no price'));
    failed.catch(() => undefined);
    idem.track(other, 'fp', failed);
    await failed.catch(() => undefined);
    await Promise.resolve();
    expect(idem.lookup(other, 'fp')).toBeUndefined();
  });
});
