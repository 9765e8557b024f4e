/**
 * Bad Jupiter answers under trade load: for each fault (usdPrice null, usdPrice 1e300, every mint
 * missing, a plausible but wrong 1 USD), trades run through the executor with the real Jupiter client
 * (production wiring, buildExecutor) against two emulators, a faulty primary and a healthy secondary.
 * Prints, per fault, how many trades filled from the secondary at its price, how many filled at a
 * wrong price (more than 1 % from the secondary's price), how many were refused, and the requests each
 * endpoint received.
 *
 * Run: npm run build && node dist/bench/jupiter-bad-answers.js
 * Options (env): PTE_BENCH_FAULT_SECONDS (per fault, default 8), PTE_BENCH_FAULT_WORKERS (concurrent
 * trades, default 4).
 */
import { randomUUID } from 'node:crypto';
import { buildExecutor } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import { toNumber } from '../src/domain/ratio.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { startJupiterEmulator } from '../src/market/jupiter-emulator.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { table } from './table.js';

const SECONDS = Number(process.env.PTE_BENCH_FAULT_SECONDS ?? '8');
const WORKERS = Number(process.env.PTE_BENCH_FAULT_WORKERS ?? '4');
const FAULTS = ['price:garbage=null', 'price:garbage=1e300', 'price:missing', 'price:wrong-price=1'];
const BASES = ['SOL', 'JUP', 'BONK', 'WIF'];

async function main(): Promise<void> {
  const tokens = createTokenRegistry();
  const USDC = tokens.bySymbol('USDC').mint;
  const [a, b] = await Promise.all([startJupiterEmulator(), startJupiterEmulator()]);
  const reference = async (symbol: string): Promise<number> => {
    const base = tokens.bySymbol(symbol).mint;
    const body = (await (await fetch(`${b.url}/price/v3?ids=${base},${USDC}`)).json()) as Record<string, { usdPrice: number }>;
    return (body[base]?.usdPrice ?? NaN) / (body[USDC]?.usdPrice ?? NaN);
  };
  const rows: string[][] = [];
  for (const fault of FAULTS) {
    a.clearFaults();
    const config = configSchema.parse({
      // The defaults, except a price lifetime of 0 (every trade asks Jupiter) and no per-endpoint rate cap.
      market: { kind: 'jupiter', jupiterUrls: [a.url, b.url], priceTtlMs: 0, perEndpointRatePerSec: 10_000 },
      journal: { enabled: false },
      portfolios: { startingBalances: { SOL: '1000', USDC: '10000000' } },
    });
    const { executor, market } = buildExecutor(config, silentLogger(), createMetrics({ defaultMetrics: false }));
    let i = 0;
    const tally = { trades: 0, secondary: 0, wrong: 0, refused: 0, other: 0 };
    const one = async (count: boolean): Promise<void> => {
      const symbol = BASES[i++ % BASES.length] ?? 'SOL';
      try {
        const r = await executor.executeTrade({
          requestId: randomUUID(),
          action: 'BUY',
          baseToken: symbol,
          quoteToken: 'USDC',
          amount: '1',
          isBaseInput: false,
          priorityFee: '0',
          simulateMev: false,
          portfolioId: `bench-${i % 8}`,
          mevProtection: 'PUBLIC',
        });
        if (!count) return;
        tally.trades++;
        const ref = await reference(symbol);
        if (Math.abs(toNumber(r.trade.expectedPrice) / ref - 1) > 0.01) tally.wrong++;
        else if (r.trade.status === 'FILLED' && r.trade.priceSource === `jupiter:${b.url}`) tally.secondary++;
        else tally.other++;
      } catch {
        if (count) {
          tally.trades++;
          tally.refused++;
        }
      }
    };
    for (let k = 0; k < 8; k++) await one(false); // last good prices, from the healthy primary
    a.setFaults([fault]);
    a.resetRequests();
    b.resetRequests();
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (Date.now() < until) await one(true);
      }),
    );
    a.clearFaults();
    await market.close();
    const pct = (n: number): string => `${((100 * n) / Math.max(1, tally.trades)).toFixed(1)} %`;
    rows.push([
      fault,
      String(tally.trades),
      `${tally.secondary} (${pct(tally.secondary)})`,
      String(tally.wrong),
      String(tally.refused),
      String(tally.other),
      // The reference lookups (one per answered trade) go to the secondary too; they are not counted.
      `${a.count('price')} / ${b.count('price') - (tally.trades - tally.refused)}`,
    ]);
  }
  await Promise.all([a.close(), b.close()]);
  process.stdout.write(
    `bad answers from the primary, ${SECONDS} s per fault, ${WORKERS} concurrent BUYs over ${BASES.join(', ')} (priceTtlMs 0):\n` +
      `${table(['fault on primary', 'trades', 'filled from secondary', 'wrong price', 'refused', 'other', 'price calls primary / secondary'], rows)}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
