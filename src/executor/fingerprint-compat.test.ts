import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../domain/ledger.js';
import type { RawTradeRequest } from '../domain/request.js';
import { createTokenRegistry } from '../domain/tokens.js';
import { requestFingerprint, validateTradeRequest } from '../domain/validation.js';
import { buy, code, testExecutor } from '../../test/support/executor.js';

/**
 * Books `req`, pushes it out of the result cache, then rewrites its journaled trade with the
 * fingerprint an earlier version stored for `storedAs` (one that kept metadata `{}` in it), so the
 * next duplicate is answered from that record.
 */
async function bookedInOldForm(req: RawTradeRequest, storedAs: RawTradeRequest) {
  const { executor, journal } = testExecutor({ resultCache: 1 });
  const first = await executor.executeTrade(req);
  await executor.executeTrade(buy()); // evicts the first result: duplicates now go to the journal
  const validated = validateTradeRequest(storedAs, createTokenRegistry());
  const oldFingerprint = requestFingerprint({ ...validated, metadata: storedAs.metadata });
  const events = journal.events as LedgerEvent[];
  const at = events.findIndex((e) => e.kind === 'trade' && e.trade.tradeId === first.trade.tradeId);
  const event = events[at];
  if (event?.kind !== 'trade') throw new Error('the first trade is not in the journal');
  events[at] = { ...event, trade: { ...event.trade, inputs: { ...event.trade.inputs, fingerprint: oldFingerprint } } };
  const trades = (): number => journal.events.filter((e) => e.kind === 'trade').length;
  return { executor, first, oldFingerprint, trades };
}

describe('idempotency with a trade journaled by an earlier version with metadata {}', () => {
  it('a retry with {} or without metadata answers the original trade, not ALREADY_EXISTS', async () => {
    const req = buy({ metadata: {} });
    const { executor, first, oldFingerprint, trades } = await bookedInOldForm(req, req);
    expect(oldFingerprint).toContain('|{}');
    expect(oldFingerprint).not.toBe(requestFingerprint(validateTradeRequest(req, createTokenRegistry())));
    const again = await executor.executeTrade(req);
    expect(again.trade.tradeId).toBe(first.trade.tradeId);
    expect(again.warnings.join('\n')).toMatch(/original trade as journaled/);
    const withoutMetadata: RawTradeRequest = { ...req, metadata: undefined };
    expect((await executor.executeTrade(withoutMetadata)).trade.tradeId).toBe(first.trade.tradeId);
    expect(trades()).toBe(2);
  });

  it('a changed payload is still refused against the earlier form', async () => {
    const req = buy({ metadata: {} });
    const { executor, trades } = await bookedInOldForm(req, req);
    expect(await code(executor.executeTrade({ ...req, metadata: { note: 'x' } }))).toBe('DUPLICATE_REQUEST');
    expect(await code(executor.executeTrade({ ...req, amount: '2' }))).toBe('DUPLICATE_REQUEST');
    expect(trades()).toBe(2);
  });

  it('a trade journaled with real metadata does not match a retry without it', async () => {
    const req = buy({ metadata: { note: 'x' } });
    const { executor, trades } = await bookedInOldForm(req, req);
    const withoutMetadata: RawTradeRequest = { ...req, metadata: undefined };
    expect(await code(executor.executeTrade(withoutMetadata))).toBe('DUPLICATE_REQUEST');
    expect(await code(executor.executeTrade({ ...req, metadata: {} }))).toBe('DUPLICATE_REQUEST');
    expect(trades()).toBe(2);
  });
});
