import { createRng } from '../src/domain/rng.js';
import type { MevInput } from '../src/domain/mev/simulator.js';
import { simulateSandwich } from '../src/domain/mev/simulator.js';

/**
 * Latency of one MEV simulation (step 6 of the pipeline in DESIGN.md), without the per-trade
 * `createRng`, which belongs to seeding rather than to the model. The inputs rotate through a gated-out
 * trade, a SOL/USDC trade and a memecoin trade at the peak (often attacked, so the Beta draw is
 * exercised). Prints nothing: the main bench formats the table.
 */
export async function benchMev(calls = 200_000): Promise<{ p50Us: number; p99Us: number }> {
  const rng = createRng(42n, 'bench-mev');
  const trades: Omit<MevInput, 'rng'>[] = [
    { tradeUsd: 100, tolerance: 0.01, drift: 0.0008, poolFee: 0.0004, inputDepthUsd: 27e6, protection: 'PUBLIC', assetClass: 'major', regime: 'current', priorityFeeLamports: 10_000n },
    { tradeUsd: 13_500, tolerance: 0.01, drift: 0.0008, poolFee: 0.0004, inputDepthUsd: 27e6, protection: 'JITO_BUNDLE', assetClass: 'major', regime: 'mid_2025', priorityFeeLamports: 100_000n },
    { tradeUsd: 500, tolerance: 0.15, drift: 0.005, poolFee: 0.0025, priceImpact: 0.02, protection: 'PUBLIC', assetClass: 'meme', regime: 'peak', priorityFeeLamports: 600_000n },
  ];
  const inputs: MevInput[] = trades.map((t) => ({ ...t, rng }));
  const run = (i: number): number => {
    const input = inputs[i % inputs.length];
    if (input === undefined) throw new Error('unreachable');
    return simulateSandwich(input).probability;
  };

  // Warm up so the JIT has compiled the hot path before anything is timed.
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += run(i);

  const samples = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    sink += run(i);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1_000;
  }
  if (Number.isNaN(sink)) throw new Error('benchMev: the simulator returned NaN');
  samples.sort();
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  // Async so the main bench can await every benchmark the same way; yields once before returning.
  await Promise.resolve();
  return { p50Us: at(0.5), p99Us: at(0.99) };
}
