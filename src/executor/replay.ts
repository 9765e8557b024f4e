import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import { ratioToString } from '../domain/ratio.js';
import type { Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { replayLanding } from './landing-stage.js';
import { buildTrade, draftTrade, recordedMarket, recordedRequest, type PipelineOptions } from './pipeline.js';

/** Re-executes a recorded trade from its recorded inputs (prices, quote, seed, model) with no network. */
export function reexecute(recorded: Trade, stateBefore: PortfolioState, pipeline: PipelineOptions): Trade {
  const draft = draftTrade(recordedRequest(recorded), recorded.inputs.fingerprint, recordedMarket(recorded), recorded.seed, pipeline);
  // Landing-time trades: priced on the recorded landing prices; the delay is drawn again from the seed.
  const landing = replayLanding(recorded, pipeline.landingTime);
  return buildTrade(landing === undefined ? draft : { ...draft, landing }, stateBefore, pipeline, recorded.executedAtMs);
}

/** The fields a replay must reproduce exactly; every difference is named. */
export function tradeDifferences(recorded: Trade, replayed: Trade): string[] {
  const fields: [string, (t: Trade) => string][] = [
    ['status', (t) => t.status],
    ['input_amount', (t) => t.inputAmount.toString()],
    ['output_amount', (t) => t.outputAmount.toString()],
    ['expected_price', (t) => ratioToString(t.expectedPrice)],
    ['executed_price', (t) => ratioToString(t.executedPrice)],
    ['slippage_bps', (t) => String(t.slippageBps)],
    ['mev_impact_bps', (t) => String(t.mevImpactBps)],
    ['mev', (t) => JSON.stringify(t.mev)],
    ['network_fee_lamports', (t) => t.fees.total.toString()],
    ['input_value', (t) => t.inputValueNanoUsd.toString()],
    ['landing', (t) => (t.landing === undefined ? 'none' : `${t.landing.pricing} ${t.landing.slots} slots ${t.landing.delayMs} ms`)],
  ];
  return fields.flatMap(([name, get]) => (get(recorded) === get(replayed) ? [] : [`${name}: recorded ${get(recorded)}, replayed ${get(replayed)}`]));
}

export interface VerifyReport {
  readonly trades: number;
  readonly mismatches: readonly { readonly tradeId: string; readonly sequence: number; readonly portfolioId: string; readonly differences: readonly string[] }[];
}

/**
 * Walks a journal's events in order, rebuilding each portfolio's state, and re-executes every trade
 * against the state it was booked on. A correct executor reports no mismatch.
 */
export function verifyEvents(events: Iterable<LedgerEvent>, pipeline: PipelineOptions, sol: Token): VerifyReport {
  const states = new Map<string, PortfolioState>();
  const mismatches: VerifyReport['mismatches'][number][] = [];
  let trades = 0;
  for (const event of events) {
    const before = states.get(event.portfolioId);
    if (event.kind === 'trade' && before) {
      trades++;
      let differences: string[];
      try {
        differences = tradeDifferences(event.trade, reexecute(event.trade, before, pipeline));
      } catch (err) {
        differences = [`re-execution failed: ${err instanceof Error ? err.message : String(err)}`];
      }
      if (differences.length > 0) mismatches.push({ tradeId: event.trade.tradeId, sequence: event.trade.sequence, portfolioId: event.portfolioId, differences });
    }
    states.set(event.portfolioId, applyEvent(before, event, sol));
  }
  return { trades, mismatches };
}
