import { afterAll, afterEach, beforeAll } from 'vitest';
import { createTokenRegistry } from '../../src/domain/tokens.js';
import { createFakeClock, type FakeClock } from '../../src/market/clock.js';
import { startJupiterEmulator, type JupiterEmulator } from '../../src/market/jupiter-emulator.js';
import { createJupiterSource, type JupiterSourceOptions } from '../../src/market/jupiter-source.js';
import { createJupiterTransport, type JupiterTransport, type JupiterTransportOptions } from '../../src/market/jupiter-transport.js';
import type { MeteredPriceSource } from '../../src/market/metered.js';

export const tokens = createTokenRegistry();
/** Mints of the tokens the Jupiter client tests price. */
export const SOL = tokens.bySymbol('SOL').mint;
export const USDC = tokens.bySymbol('USDC').mint;
export const JUP = tokens.bySymbol('JUP').mint;
/** The fake clock's time at the start of every client. */
export const START_MS = 1_700_000_000_000;

export interface JupiterClient {
  readonly transport: JupiterTransport;
  readonly source: MeteredPriceSource;
  /** Every price the source refused, as "mint: reason". */
  readonly rejected: string[];
}

export interface JupiterPair {
  /** One clock for the clients and both emulators, so x-ratelimit-reset is in the client's time. */
  readonly clock: FakeClock;
  /** The emulators, started before the file's tests. */
  readonly a: JupiterEmulator;
  readonly b: JupiterEmulator;
  /**
   * A fresh client (fresh breakers and limits) on a fresh fake clock. random() = 0.5 makes the jitter
   * exact: the n-th retry waits 0.75 x 100 x 2^(n-1) ms, i.e. 75 then 150.
   */
  readonly client: (urls: readonly string[], patch?: Partial<JupiterTransportOptions>, sourcePatch?: Partial<JupiterSourceOptions>) => JupiterClient;
}

/**
 * Two Jupiter emulators on one fake clock: started before the file's tests, closed after them, their
 * faults and request logs cleared after each test. Call at the top of a test file.
 */
export function jupiterPair(): JupiterPair {
  const clock = createFakeClock(START_MS);
  let started: { readonly a: JupiterEmulator; readonly b: JupiterEmulator } | undefined;
  const emulators = (): { readonly a: JupiterEmulator; readonly b: JupiterEmulator } => {
    if (started === undefined) throw new Error('the Jupiter emulators start in beforeAll');
    return started;
  };
  beforeAll(async () => {
    const a = await startJupiterEmulator({ now: () => clock.now() });
    const b = await startJupiterEmulator({ now: () => clock.now() });
    started = { a, b };
  });
  afterAll(async () => {
    await started?.a.close();
    await started?.b.close();
  });
  afterEach(() => {
    const { a, b } = emulators();
    a.clearFaults();
    b.clearFaults();
    a.resetRequests();
    b.resetRequests();
  });
  return {
    clock,
    get a() {
      return emulators().a;
    },
    get b() {
      return emulators().b;
    },
    client: (urls, patch = {}, sourcePatch = {}) => {
      clock.set(START_MS);
      clock.sleeps.length = 0;
      const transport = createJupiterTransport({ baseUrls: urls, clock, random: () => 0.5, timeoutMs: 1_000, ratePerSec: 1_000, ...patch });
      const rejected: string[] = [];
      const source = createJupiterSource({ transport, clock, onRejectedPrice: (m, reason) => rejected.push(`${m}: ${reason}`), ...sourcePatch });
      return { transport, source, rejected };
    },
  };
}
