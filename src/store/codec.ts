/**
 * The journal's exact JSON encoding of ledger events and portfolio states. Exactness is the point:
 * decode(encode(x)) is x, field for field, so a state rebuilt from the journal is the state that was
 * acknowledged, and a trade re-executed from its record sees the very inputs it was priced on.
 *
 * - bigints (amounts, lamports, nano-USD, seeds) travel as decimal strings;
 * - Ratios as "n/d" (ratioToString / ratioFromString), never as a decimal that could round;
 * - tokens as their mint only, resolved through the TokenRegistry on decode, so a record cannot carry
 *   a symbol or decimals that disagree with the registry;
 * - doubles (bps figures, probabilities) as JSON numbers, which JavaScript prints in the shortest form
 *   that reads back to the same double; a non-finite one is written as a string so it is not lost.
 *
 * Field order is fixed by construction, so the same value always encodes to the same bytes.
 */
import { amount, lamports } from '../domain/amount.js';
import type { LedgerEvent, PortfolioState, Position, StartingBalance } from '../domain/ledger.js';
import type { RouteHop } from '../domain/market.js';
import { ratioFromString, ratioToString, type Ratio } from '../domain/ratio.js';
import type { JsonValue, MevProtection, SlippageModelSpec, TradeAction, TradeStatus } from '../domain/request.js';
import { isMint, type Mint, type Token, type TokenRegistry } from '../domain/tokens.js';
import type { FeeBreakdown, MevOutcome, MevRiskLevel, Trade, TradeInputs, TradeLanding } from '../domain/trade.js';

/** A record that is well-formed JSON but not a value this codec writes. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

type Json = JsonValue;
type JsonObject = { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Encoding

const big = (v: bigint): string => v.toString();
const r = (v: Ratio): string => ratioToString(v);
const num = (v: number): Json => (Number.isFinite(v) ? v : String(v));
const opt = <T>(v: T | undefined, f: (x: T) => Json): Json => (v === undefined ? null : f(v));

const hopToJson = (h: RouteHop): JsonObject => ({
  label: h.label,
  inputMint: h.inputMint,
  outputMint: h.outputMint,
  inAmount: big(h.inAmount),
  outAmount: big(h.outAmount),
  percent: num(h.percent),
});

const specToJson = (s: SlippageModelSpec): JsonObject => ({ name: s.name, params: { ...s.params } });

/** The recorded inputs as the journal writes them (also the `inputs` of `pte export --format jsonl`). */
export function inputsToJson(i: TradeInputs): JsonObject {
  return {
    amount: big(i.amount),
    isBaseInput: i.isBaseInput,
    maxPriceImpactBps: opt(i.maxPriceImpactBps, num),
    fingerprint: i.fingerprint,
    baseUsd: r(i.baseUsd),
    quoteUsd: r(i.quoteUsd),
    baseLiquidityUsd: opt(i.baseLiquidityUsd, r),
    quoteLiquidityUsd: opt(i.quoteLiquidityUsd, r),
    priceSource: i.priceSource,
    quote: opt(i.quote, (q) => ({
      inAmount: big(q.inAmount),
      outAmount: big(q.outAmount),
      priceImpact: r(q.priceImpact),
      route: q.route.map(hopToJson),
      source: q.source,
    })),
    slippageModel: specToJson(i.slippageModel),
    slippageToleranceBps: num(i.slippageToleranceBps),
    priorityFee: big(i.priorityFee),
    simulateMev: i.simulateMev,
    mevProtection: i.mevProtection,
  };
}

const feesToJson = (f: FeeBreakdown): JsonObject => ({
  signatures: num(f.signatures),
  baseFee: big(f.baseFee),
  priorityFee: big(f.priorityFee),
  rent: big(f.rent),
  total: big(f.total),
});

const mevToJson = (m: MevOutcome): JsonObject => ({
  simulated: m.simulated,
  attackProbability: num(m.attackProbability),
  attacked: m.attacked,
  reverted: m.reverted,
  lossUsd: m.lossUsd,
  riskLevel: m.riskLevel,
});

export function tradeToJson(t: Trade): JsonObject {
  return {
    tradeId: t.tradeId,
    requestId: t.requestId,
    portfolioId: t.portfolioId,
    sequence: num(t.sequence),
    action: t.action,
    status: t.status,
    base: t.base.mint,
    quote: t.quote.mint,
    input: t.input.mint,
    output: t.output.mint,
    inputAmount: big(t.inputAmount),
    outputAmount: big(t.outputAmount),
    expectedPrice: r(t.expectedPrice),
    executedPrice: r(t.executedPrice),
    slippageBps: num(t.slippageBps),
    mevImpactBps: num(t.mevImpactBps),
    priceImpactBps: num(t.priceImpactBps),
    fees: feesToJson(t.fees),
    executedAtMs: num(t.executedAtMs),
    priceSource: t.priceSource,
    mev: mevToJson(t.mev),
    slippageModel: t.slippageModel,
    slippageExplanation: t.slippageExplanation,
    seed: big(t.seed),
    route: t.route.map(hopToJson),
    failureReason: opt(t.failureReason, (s) => s),
    inputValueNanoUsd: big(t.inputValueNanoUsd),
    inputs: inputsToJson(t.inputs),
    warnings: [...t.warnings],
    // Landing-time pricing: only on such trades, so every other record encodes as before.
    ...(t.landing === undefined ? {} : { landing: landingToJson(t.landing) }),
    // The request's metadata: only when it had some, so every other record encodes as before.
    ...(t.metadata === undefined ? {} : { metadata: { ...t.metadata } }),
  };
}

const landingToJson = (l: TradeLanding): JsonObject => ({
  pricing: l.pricing,
  slots: num(l.slots),
  delayMs: num(l.delayMs),
  sentAtMs: num(l.sentAtMs),
  pricedAtMs: num(l.pricedAtMs),
});

const balanceToJson = (b: StartingBalance): JsonObject => ({ mint: b.mint, amount: big(b.amount), costNanoUsd: big(b.costNanoUsd) });

export function eventToJson(e: LedgerEvent): JsonObject {
  if (e.kind === 'trade') return { kind: e.kind, portfolioId: e.portfolioId, atMs: num(e.atMs), trade: tradeToJson(e.trade) };
  return { kind: e.kind, portfolioId: e.portfolioId, atMs: num(e.atMs), balances: e.balances.map(balanceToJson) };
}

/** Positions and accounts keep their insertion order, so a decoded state iterates like the original. */
export function stateToJson(s: PortfolioState): JsonObject {
  return {
    portfolioId: s.portfolioId,
    positions: [...s.positions].map(([mint, p]) => [mint, big(p.amount), big(p.costNanoUsd)]),
    accounts: [...s.accounts],
    realizedPnlNanoUsd: big(s.realizedPnlNanoUsd),
    feesPaidLamports: big(s.feesPaidLamports),
    tradeCount: num(s.tradeCount),
    sequence: num(s.sequence),
    updatedAtMs: num(s.updatedAtMs),
  };
}

export const encodeEvent = (e: LedgerEvent): string => JSON.stringify(eventToJson(e));

// ---------------------------------------------------------------------------------------------
// Decoding: every field checked, every failure naming its path.

class Reader {
  constructor(
    private readonly v: JsonObject,
    private readonly path: string,
  ) {}

  static of(v: unknown, path: string): Reader {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CodecError(`${path}: expected an object`);
    return new Reader(v as JsonObject, path);
  }

  raw(k: string): Json | undefined {
    return this.v[k];
  }

  private fail(k: string, what: string): never {
    const v = this.raw(k);
    throw new CodecError(`${this.path}.${k}: expected ${what}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }

  str(k: string): string {
    const v = this.raw(k);
    return typeof v === 'string' ? v : this.fail(k, 'a string');
  }

  optStr(k: string): string | undefined {
    const v = this.raw(k);
    if (v === null) return undefined;
    return typeof v === 'string' ? v : this.fail(k, 'a string or null');
  }

  bool(k: string): boolean {
    const v = this.raw(k);
    return typeof v === 'boolean' ? v : this.fail(k, 'a boolean');
  }

  num(k: string): number {
    const v = this.raw(k);
    if (typeof v === 'number') return v;
    if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
    return this.fail(k, 'a number');
  }

  optNum(k: string): number | undefined {
    return this.raw(k) === null ? undefined : this.num(k);
  }

  int(k: string): number {
    const v = this.num(k);
    return Number.isSafeInteger(v) ? v : this.fail(k, 'a whole number');
  }

  big(k: string): bigint {
    const v = this.raw(k);
    return typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : this.fail(k, 'a decimal integer string');
  }

  ratio(k: string): Ratio {
    const v = this.str(k);
    try {
      return ratioFromString(v);
    } catch {
      return this.fail(k, 'an exact ratio "n/d"');
    }
  }

  optRatio(k: string): Ratio | undefined {
    return this.raw(k) === null ? undefined : this.ratio(k);
  }

  oneOf<T extends string>(k: string, values: readonly T[]): T {
    const v = this.raw(k);
    return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : this.fail(k, `one of ${values.join(', ')}`);
  }

  obj(k: string): Reader {
    return Reader.of(this.raw(k), `${this.path}.${k}`);
  }

  optObj(k: string): Reader | undefined {
    return this.raw(k) === null ? undefined : this.obj(k);
  }

  /** A JSON object taken as is (model parameters). */
  json(k: string): Readonly<Record<string, JsonValue>> {
    const v = this.raw(k);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : this.fail(k, 'an object');
  }

  arr(k: string): readonly Json[] {
    const v = this.raw(k);
    return Array.isArray(v) ? v : this.fail(k, 'a list');
  }

  list<T>(k: string, f: (item: Reader, path: string) => T): T[] {
    return this.arr(k).map((item, i) => f(Reader.of(item, `${this.path}.${k}[${i}]`), `${this.path}.${k}[${i}]`));
  }

  strings(k: string): string[] {
    return this.arr(k).map((s, i) => (typeof s === 'string' ? s : this.fail(`${k}[${i}]`, 'a string')));
  }
}

const ACTIONS: readonly TradeAction[] = ['BUY', 'SELL', 'SWAP'];
const STATUSES: readonly TradeStatus[] = ['FILLED', 'FAILED_SLIPPAGE', 'FAILED_MEV'];
const PROTECTIONS: readonly MevProtection[] = ['PUBLIC', 'JITO_BUNDLE', 'JITO_DONTFRONT', 'PRIVATE'];
const RISK_LEVELS: readonly MevRiskLevel[] = ['none', 'low', 'medium', 'high'];

function mintOf(s: string, path: string): Mint {
  if (!isMint(s)) throw new CodecError(`${path}: ${JSON.stringify(s)} is not a mint address`);
  return s;
}

function tokenOf(tokens: TokenRegistry, rd: Reader, k: string, path: string): Token {
  const m = rd.str(k);
  const t = tokens.find(mintOf(m, `${path}.${k}`));
  if (!t || t.mint !== m) throw new CodecError(`${path}.${k}: mint ${m} is not in the token registry`);
  return t;
}

const hopFromJson = (h: Reader): RouteHop => ({
  label: h.str('label'),
  inputMint: h.str('inputMint'),
  outputMint: h.str('outputMint'),
  inAmount: h.big('inAmount'),
  outAmount: h.big('outAmount'),
  percent: h.num('percent'),
});

function inputsFromJson(i: Reader): TradeInputs {
  const q = i.optObj('quote');
  const spec = i.obj('slippageModel');
  return {
    amount: amount(i.big('amount')),
    isBaseInput: i.bool('isBaseInput'),
    maxPriceImpactBps: i.optNum('maxPriceImpactBps'),
    fingerprint: i.str('fingerprint'),
    baseUsd: i.ratio('baseUsd'),
    quoteUsd: i.ratio('quoteUsd'),
    baseLiquidityUsd: i.optRatio('baseLiquidityUsd'),
    quoteLiquidityUsd: i.optRatio('quoteLiquidityUsd'),
    priceSource: i.str('priceSource'),
    quote: q && {
      inAmount: amount(q.big('inAmount')),
      outAmount: amount(q.big('outAmount')),
      priceImpact: q.ratio('priceImpact'),
      route: q.list('route', hopFromJson),
      source: q.str('source'),
    },
    slippageModel: { name: spec.str('name'), params: spec.json('params') },
    slippageToleranceBps: i.num('slippageToleranceBps'),
    priorityFee: lamports(i.big('priorityFee')),
    simulateMev: i.bool('simulateMev'),
    mevProtection: i.oneOf('mevProtection', PROTECTIONS),
  };
}

export function tradeFromJson(v: unknown, tokens: TokenRegistry, path = 'trade'): Trade {
  const t = Reader.of(v, path);
  const f = t.obj('fees');
  const m = t.obj('mev');
  return {
    tradeId: t.str('tradeId'),
    requestId: t.str('requestId'),
    portfolioId: t.str('portfolioId'),
    sequence: t.int('sequence'),
    action: t.oneOf('action', ACTIONS),
    status: t.oneOf('status', STATUSES),
    base: tokenOf(tokens, t, 'base', path),
    quote: tokenOf(tokens, t, 'quote', path),
    input: tokenOf(tokens, t, 'input', path),
    output: tokenOf(tokens, t, 'output', path),
    inputAmount: amount(t.big('inputAmount')),
    outputAmount: amount(t.big('outputAmount')),
    expectedPrice: t.ratio('expectedPrice'),
    executedPrice: t.ratio('executedPrice'),
    slippageBps: t.num('slippageBps'),
    mevImpactBps: t.num('mevImpactBps'),
    priceImpactBps: t.num('priceImpactBps'),
    fees: {
      signatures: f.int('signatures'),
      baseFee: lamports(f.big('baseFee')),
      priorityFee: lamports(f.big('priorityFee')),
      rent: lamports(f.big('rent')),
      total: lamports(f.big('total')),
    },
    executedAtMs: t.num('executedAtMs'),
    priceSource: t.str('priceSource'),
    mev: {
      simulated: m.bool('simulated'),
      attackProbability: m.num('attackProbability'),
      attacked: m.bool('attacked'),
      reverted: m.bool('reverted'),
      lossUsd: m.str('lossUsd'),
      riskLevel: m.oneOf('riskLevel', RISK_LEVELS),
    },
    slippageModel: t.str('slippageModel'),
    slippageExplanation: t.str('slippageExplanation'),
    seed: t.big('seed'),
    route: t.list('route', hopFromJson),
    failureReason: t.optStr('failureReason'),
    inputValueNanoUsd: t.big('inputValueNanoUsd'),
    inputs: inputsFromJson(t.obj('inputs')),
    warnings: t.strings('warnings'),
    ...landingFromJson(t),
    // A record written before trades kept their metadata, or of a request without any, has none.
    ...(t.raw('metadata') === undefined ? {} : { metadata: t.json('metadata') }),
  };
}

/** A record written before landing-time pricing (or of an immediate trade) has no `landing`. */
function landingFromJson(t: Reader): { landing?: TradeLanding } {
  if (t.raw('landing') === undefined) return {};
  const l = t.obj('landing');
  return {
    landing: {
      pricing: l.oneOf('pricing', ['IMMEDIATE', 'LANDING'] as const),
      slots: l.int('slots'),
      delayMs: l.int('delayMs'),
      sentAtMs: l.num('sentAtMs'),
      pricedAtMs: l.num('pricedAtMs'),
    },
  };
}

export function eventFromJson(v: unknown, tokens: TokenRegistry, path = 'event'): LedgerEvent {
  const e = Reader.of(v, path);
  const kind = e.oneOf('kind', ['trade', 'portfolio_created', 'portfolio_reset'] as const);
  const portfolioId = e.str('portfolioId');
  const atMs = e.num('atMs');
  if (kind === 'trade') return { kind, portfolioId, atMs, trade: tradeFromJson(e.raw('trade'), tokens, `${path}.trade`) };
  const balances = e.list('balances', (b, p) => ({ mint: mintOf(b.str('mint'), `${p}.mint`), amount: b.big('amount'), costNanoUsd: b.big('costNanoUsd') }));
  return { kind, portfolioId, atMs, balances };
}

export function stateFromJson(v: unknown, path = 'state'): PortfolioState {
  const s = Reader.of(v, path);
  const positions = new Map<Mint, Position>();
  s.arr('positions').forEach((p, i) => {
    const at = `${path}.positions[${i}]`;
    if (!Array.isArray(p) || p.length !== 3 || typeof p[0] !== 'string' || typeof p[1] !== 'string' || typeof p[2] !== 'string') {
      throw new CodecError(`${at}: expected [mint, amount, cost]`);
    }
    if (!/^-?\d+$/.test(p[1]) || !/^-?\d+$/.test(p[2])) throw new CodecError(`${at}: amounts must be decimal integer strings`);
    positions.set(mintOf(p[0], at), { amount: BigInt(p[1]), costNanoUsd: BigInt(p[2]) });
  });
  return {
    portfolioId: s.str('portfolioId'),
    positions,
    accounts: new Set(s.strings('accounts').map((m, i) => mintOf(m, `${path}.accounts[${i}]`))),
    realizedPnlNanoUsd: s.big('realizedPnlNanoUsd'),
    feesPaidLamports: s.big('feesPaidLamports'),
    tradeCount: s.int('tradeCount'),
    sequence: s.int('sequence'),
    updatedAtMs: s.num('updatedAtMs'),
  };
}

/** Parses and decodes one encoded event; CodecError when the text is not one. */
export function decodeEvent(text: string, tokens: TokenRegistry): LedgerEvent {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CodecError(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return eventFromJson(v, tokens);
}
