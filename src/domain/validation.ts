import { lamports, parseAmount } from './amount.js';
import { invalidArgument } from './errors.js';
import type { ExecutionPricing, JsonValue, MevProtection, RawTradeRequest, SlippageModelSpec, TradeAction, TradeRequest } from './request.js';
import { printable, type TokenRegistry } from './tokens.js';

export const LIMITS = {
  /** priority_fee must be below this many lamports. */
  priorityFeeExclusiveMax: 1_000_000n,
  /** slippage_tolerance_bps must be below this. */
  slippageToleranceExclusiveMax: 5_000,
  /** max_price_impact_bps may be at most this. */
  maxPriceImpactInclusiveMax: 10_000,
  portfolioIdMaxLength: 64,
  /** Serialized metadata larger than this is refused. */
  metadataMaxBytes: 4_096,
} as const;

export const DEFAULT_PORTFOLIO = 'default';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Printable ASCII without spaces: safe in logs, file names and metric labels. */
const PORTFOLIO_ID = /^[A-Za-z0-9._:-]+$/;
const UINT64 = /^\d{1,20}$/;

const ACTIONS: readonly TradeAction[] = ['BUY', 'SELL', 'SWAP'];
const PROTECTIONS: readonly MevProtection[] = ['PUBLIC', 'JITO_BUNDLE', 'JITO_DONTFRONT', 'PRIVATE'];

/** Validates a portfolio id ("" means the default portfolio) and returns the effective id. */
export function validatePortfolioId(id: string, field = 'portfolio_id'): string {
  if (id === '') return DEFAULT_PORTFOLIO;
  if (id.length > LIMITS.portfolioIdMaxLength) {
    throw invalidArgument(field, `longer than ${LIMITS.portfolioIdMaxLength} characters`);
  }
  if (!PORTFOLIO_ID.test(id)) {
    throw invalidArgument(field, `${JSON.stringify(printable(id))} may hold only letters, digits and . _ : -`);
  }
  return id;
}

/**
 * Checks a raw request field by field, in wire order, and returns the typed request. Pure: the
 * registry is data. Every error is INVALID_ARGUMENT naming the field, except an unknown token
 * (NOT_FOUND); nothing here touches a portfolio.
 */
export function validateTradeRequest(raw: RawTradeRequest, tokens: TokenRegistry): TradeRequest {
  if (!UUID.test(raw.requestId)) {
    throw invalidArgument('request_id', `${JSON.stringify(printable(raw.requestId))} is not a UUID`);
  }
  const action = raw.action;
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
    throw invalidArgument('action', 'must be BUY, SELL or SWAP');
  }
  const portfolioId = validatePortfolioId(raw.portfolioId);

  const base = tokens.resolve(raw.baseToken, 'base_token');
  const quote = tokens.resolve(raw.quoteToken, 'quote_token');
  if (base.mint === quote.mint) {
    throw invalidArgument('quote_token', `must differ from base_token (both are ${base.symbol})`);
  }
  const amount = parseAmount(raw.amount, raw.isBaseInput ? base.decimals : quote.decimals, 'amount');

  const tolerance = raw.slippageToleranceBps;
  if (tolerance !== undefined && !(Number.isInteger(tolerance) && tolerance >= 0 && tolerance < LIMITS.slippageToleranceExclusiveMax)) {
    throw invalidArgument('slippage_tolerance_bps', `must be below ${LIMITS.slippageToleranceExclusiveMax} (50 %)`);
  }
  if (!UINT64.test(raw.priorityFee)) throw invalidArgument('priority_fee', 'must be a whole number of lamports');
  const priorityFee = BigInt(raw.priorityFee);
  if (priorityFee >= LIMITS.priorityFeeExclusiveMax) {
    throw invalidArgument('priority_fee', `must be below ${LIMITS.priorityFeeExclusiveMax.toLocaleString('en-US')} lamports`);
  }
  const maxImpact = raw.maxPriceImpactBps;
  if (maxImpact !== undefined && !(Number.isInteger(maxImpact) && maxImpact >= 0 && maxImpact <= LIMITS.maxPriceImpactInclusiveMax)) {
    throw invalidArgument('max_price_impact_bps', `must be at most ${LIMITS.maxPriceImpactInclusiveMax}`);
  }
  if (raw.metadata !== undefined && JSON.stringify(raw.metadata).length > LIMITS.metadataMaxBytes) {
    throw invalidArgument('metadata', `larger than ${LIMITS.metadataMaxBytes} bytes`);
  }
  const mev = raw.mevProtection;
  let mevProtection: MevProtection;
  if (mev === 'UNSPECIFIED' || mev === 0) mevProtection = 'PUBLIC';
  else if (typeof mev === 'string' && (PROTECTIONS as readonly string[]).includes(mev)) mevProtection = mev;
  else throw invalidArgument('mev_protection', 'unknown protection');
  const executionPricing = validateExecutionPricing(raw.executionPricing);

  return {
    requestId: raw.requestId.toLowerCase(),
    portfolioId,
    action: action as TradeAction,
    base,
    quote,
    amount,
    isBaseInput: raw.isBaseInput,
    slippageToleranceBps: tolerance,
    priorityFee: lamports(priorityFee),
    simulateMev: raw.simulateMev,
    maxPriceImpactBps: maxImpact,
    // Absent and {} are the same payload (one fingerprint, no metadata on the trade).
    metadata: raw.metadata !== undefined && Object.keys(raw.metadata).length > 0 ? raw.metadata : undefined,
    slippageModel: validateModelSpec(raw.slippageModel),
    mevProtection,
    ...(executionPricing === undefined ? {} : { executionPricing }),
  };
}

/** execution_pricing: unset or UNSPECIFIED is undefined (the server's default applies). */
function validateExecutionPricing(v: RawTradeRequest['executionPricing']): ExecutionPricing | undefined {
  if (v === undefined || v === 'UNSPECIFIED' || v === 0) return undefined;
  if (v === 'IMMEDIATE' || v === 'LANDING') return v;
  throw invalidArgument('execution_pricing', 'must be IMMEDIATE or LANDING');
}

/** slippage_model absent is the server's default model; present, it must name a model. */
function validateModelSpec(spec: SlippageModelSpec | undefined): SlippageModelSpec | undefined {
  if (spec === undefined) return undefined;
  if (spec.name === '') throw invalidArgument('slippage_model.name', "must name a model (omit slippage_model for the server's default)");
  if (spec.name.length > 32) throw invalidArgument('slippage_model.name', 'longer than 32 characters');
  return spec;
}

/**
 * A canonical fingerprint of everything that determines a trade: two requests with the same
 * request_id are the same trade only if their fingerprints match.
 */
export function requestFingerprint(r: TradeRequest): string {
  const fields = [
    r.action,
    r.base.mint,
    r.quote.mint,
    r.amount.toString(),
    r.isBaseInput,
    r.slippageToleranceBps ?? '',
    r.priorityFee.toString(),
    r.simulateMev,
    r.maxPriceImpactBps ?? '',
    r.slippageModel ? `${r.slippageModel.name}${canonical(r.slippageModel.params)}` : '',
    r.mevProtection,
    canonical(r.metadata),
  ].join('|');
  // Only when asked, so fingerprints recorded before the field existed still match.
  return r.executionPricing === undefined ? fields : `${fields}|pricing=${r.executionPricing}`;
}

/** JSON with object keys sorted, so the same metadata always gives the same fingerprint. */
function canonical(v: JsonValue | undefined): string {
  if (v === undefined) return '';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
    .join(',')}}`;
}
