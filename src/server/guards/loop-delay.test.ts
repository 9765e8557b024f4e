import { setTimeout as sleep } from 'node:timers/promises';
import { Metadata } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { isExecutorError } from '../../domain/errors.js';
import { createCallGuard } from './call-guard.js';
import { createLoopDelayMonitor, type LoopDelayMonitor } from './loop-delay.js';

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the loop is blocked
  }
}

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('event-loop delay monitor', () => {
  let monitor: LoopDelayMonitor | undefined;
  let lag: NodeJS.Timeout | undefined;
  afterEach(() => {
    monitor?.stop();
    clearInterval(lag);
  });

  it('reads the delay of a loop that stays late, and 0-ish again once it keeps up', async () => {
    monitor = createLoopDelayMonitor();
    lag = setInterval(() => busyWait(40), 1);
    await until(() => (monitor?.delayMs ?? 0) > 20);
    clearInterval(lag);
    await until(() => (monitor?.delayMs ?? Infinity) < 20);
  });

  it('does not count one stall: the loop must be late on two probes in a row', async () => {
    monitor = createLoopDelayMonitor();
    await sleep(50); // on-time probes
    busyWait(200);
    await sleep(30); // the probe after the stall is ~190 ms late, the one before it was on time
    expect(monitor.delayMs).toBeLessThan(100);
  });
});

describe('call guard: event-loop delay', () => {
  const input = { metadata: new Metadata(), portfolioId: 'p', counted: true };

  it('refuses sheddable calls with OVERLOADED while the loop lags, admits the others, and admits again after', async () => {
    const guard = createCallGuard({ maxEventLoopDelayMs: 5 });
    const lag = setInterval(() => busyWait(40), 1);
    try {
      await until(() => guard.eventLoopDelayMs > 5);
      let refused: unknown;
      try {
        guard.admit({ ...input, sheddable: true });
      } catch (e) {
        refused = e;
      }
      expect(isExecutorError(refused, 'OVERLOADED')).toBe(true);
      expect((refused as Error).message).toMatch(/^overloaded: event loop delay \d+ ms, more than 5 ms/);
      expect(guard.inFlight.count).toBe(0); // refused before it was counted
      guard.admit({ ...input, sheddable: false }).release();
    } finally {
      clearInterval(lag);
    }
    await until(() => guard.eventLoopDelayMs <= 5);
    guard.admit({ ...input, sheddable: true }).release();
    guard.close();
  });

  it('with maxEventLoopDelayMs 0 runs no probe and never refuses for delay', () => {
    const guard = createCallGuard({ maxEventLoopDelayMs: 0 });
    busyWait(30);
    guard.admit({ ...input, sheddable: true }).release();
    expect(guard.eventLoopDelayMs).toBe(0);
    guard.close();
  });
});
