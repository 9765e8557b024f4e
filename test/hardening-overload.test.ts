/**
 * Admission by event-loop delay (server.maxEventLoopDelayMs) over real gRPC connections, with the
 * real executor and journal behind them. The server's event loop is kept late artificially (a timer
 * that busy-waits on every turn): trades and resets are then refused RESOURCE_EXHAUSTED (OVERLOADED)
 * before any work, reads still answer, nothing is booked; once the loop keeps up, trades are accepted
 * again; 0, the default, turns the check off. Behaviour only: no assertion on how fast anything is.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { isServiceError, type PortfolioSummaryMessage } from '../src/client/index.js';
import { ERROR_CODE_METADATA_KEY } from '../src/server/index.js';
import { startTestServer, trade } from './support.js';

/** Keeps the event loop late: a timer due on every turn busy-waits `ms` each time. Returns the stop. */
function lagLoop(ms: number): () => void {
  const timer = setInterval(() => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // busy: the loop can do nothing else meanwhile
    }
  }, 1);
  return () => clearInterval(timer);
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not reached in time: ${what}`);
    await sleep(5);
  }
}

/** The status, details and pte-error-code of a call that must fail. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; details: string; errorCode: unknown }> {
  try {
    await p;
  } catch (e) {
    if (!isServiceError(e)) throw e;
    return { code: e.code, details: e.details, errorCode: e.metadata.get(ERROR_CODE_METADATA_KEY)[0] };
  }
  throw new Error('expected the call to be refused');
}

const holdings = (p: PortfolioSummaryMessage): string[] => p.balances.map((b) => `${b.token?.symbol}=${b.amount}`);

describe('admission by event-loop delay', () => {
  let stopLag: (() => void) | undefined;
  afterEach(() => {
    stopLag?.();
    stopLag = undefined;
  });

  it('refuses trades and resets RESOURCE_EXHAUSTED (OVERLOADED) while the loop lags, books nothing, answers reads, and accepts trades again once it keeps up', async () => {
    const front = await startTestServer({ server: { maxEventLoopDelayMs: 10 } });
    try {
      const pid = 'eld';
      const before = await front.client.getPortfolio(pid);

      stopLag = lagLoop(60);
      await until(() => front.app.guard.eventLoopDelayMs > 10, 'the guard sees the lag');
      const refused = await Promise.all([
        ...Array.from({ length: 5 }, () => refusal(front.client.executeTrade(trade({ portfolioId: pid, amount: '0.01' })))),
        refusal(front.client.resetPortfolio(pid)),
      ]);
      for (const r of refused) {
        expect(r.code).toBe(status.RESOURCE_EXHAUSTED);
        expect(r.errorCode).toBe('OVERLOADED');
        expect(r.details).toMatch(/^overloaded: event loop delay \d+ ms, more than 10 ms; retry with backoff$/);
      }
      // Reads are not shed: the portfolio can still be looked at, and nothing was booked.
      const during = await front.client.getPortfolio(pid);
      expect(during.tradeCount).toBe(before.tradeCount);
      expect(during.stateHash).toBe(before.stateHash);
      expect(holdings(during)).toEqual(holdings(before));

      stopLag();
      stopLag = undefined;
      // The loop keeps up again: a trade is accepted (retried while a busy test machine still lags).
      let accepted = false;
      for (let attempt = 0; attempt < 200 && !accepted; attempt++) {
        await until(() => front.app.guard.eventLoopDelayMs <= 10, 'the lag is gone');
        try {
          const r = await front.client.executeTrade(trade({ portfolioId: pid, amount: '0.01' }));
          expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
          accepted = true;
        } catch (e) {
          if (!isServiceError(e) || e.code !== status.RESOURCE_EXHAUSTED) throw e;
          await sleep(10);
        }
      }
      expect(accepted).toBe(true);
      const after = await front.client.getPortfolio(pid);
      expect(BigInt(after.tradeCount)).toBe(BigInt(before.tradeCount) + 1n);
    } finally {
      await front.stop();
    }
  });

  it('is off by default (0): a lagging loop slows trades down but refuses none, and runs no probe', async () => {
    const s = await startTestServer();
    try {
      const pid = 'eld-default';
      const before = await s.client.getPortfolio(pid);
      stopLag = lagLoop(60);
      await sleep(300); // several late turns
      const results = await Promise.all(Array.from({ length: 3 }, () => s.client.executeTrade(trade({ portfolioId: pid, amount: '0.01' }), { deadlineMs: 20_000 })));
      for (const r of results) expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
      expect(s.app.guard.eventLoopDelayMs).toBe(0);
      expect(BigInt((await s.client.getPortfolio(pid)).tradeCount)).toBe(BigInt(before.tradeCount) + 3n);
    } finally {
      await s.stop();
    }
  });
});
