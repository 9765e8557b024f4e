/**
 * Pure results of a portfolio: marks, the equity curve and its statistics, the cost of realism,
 * average-cost PnL and the report that puts them together. No I/O: callers feed trades and marks.
 */
export { COST_COMPONENTS, NO_COSTS, priceGap, sumCosts, tradeCosts, type CostBreakdown, type CostComponent } from './costs.js';
export {
  dailyReturns,
  downsample,
  drawdownStats,
  MAX_CURVE_POINTS,
  RATIO_METHOD,
  sharpe,
  sortino,
  withRunningDrawdown,
  type DailyReturn,
  type DrawdownStats,
  type EquityPoint,
} from './equity.js';
export { computeMark, valueAt, type Mark, type MarkedPortfolio, type MarkHolding, type MarkPrice } from './marks.js';
export { closeStats, replayPositions, type BookPosition, type CloseStats, type PositionReplay, type TradePnl } from './positions.js';
export {
  buildReport,
  DEFAULT_GROUP_KEY,
  groupKey,
  type GroupResult,
  type PortfolioReport,
  type ReportInput,
  type ReportPoint,
  type ReportTrade,
  type TokenPnl,
  type TradeCounts,
} from './report.js';
export { formatCostUsd, formatUsd, solFromLamports, usdFromNano, wholeTokens } from './usd.js';
