/**
 * The contract's JSON mapping (proto3 JSON) for the dashboard's HTTP API. Outbound, messages are built
 * by the same wire mapping the gRPC service uses (server/mapping.ts, server/report-mapping.ts), so every
 * decimal and every rounding is the gRPC answer's, and then take their JSON form here: lowerCamelCase
 * names, enums by name, 64-bit integers as strings, Timestamps as RFC 3339 text, Structs as plain
 * objects, unset message fields omitted. Inbound, a TradeRequest in JSON becomes the decoded message
 * the gRPC handler would see, so the executor's validation (and its messages) is the same for both.
 */
import { invalidArgument } from '../domain/errors.js';
import type { JsonValue } from '../domain/request.js';
import type { Trade } from '../domain/trade.js';
import type { PortfolioSummary, TradePage, TradeResult } from '../executor/types.js';
import type { Mark } from '../report/marks.js';
import { formatUsd } from '../report/usd.js';
import type { PortfolioReport } from '../report/report.js';
import { toDecimalString } from '../domain/ratio.js';
import type { ExecutionPricingMessage, MevProtectionMessage, TradeActionMessage, TradeRequestMessage } from '../contract/index.js';
import { fromStruct, toStruct, type JsonObject } from '../contract/index.js';
// The contract's wire mapping lives with the gRPC service; the HTTP API must give the same figures.
import { portfolioToWire, tradePageToWire, tradeResultToWire, tradeToWire, type DecodedTradeRequest } from '../server/mapping.js';
import { reportToWire } from '../server/report-mapping.js';

export type Json = JsonValue;

/** RFC 3339 text of a Timestamp message (UTC, millisecond precision, as the executor's clock). */
function timestampText(seconds: string, nanos: number): string {
  const ms = Number(seconds) * 1000 + Math.floor(nanos / 1_000_000);
  return new Date(ms).toISOString();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A message as built by the wire mapping (proto-loader's object shape) in its proto3 JSON form.
 * Unset fields (null or undefined) are omitted; proto-loader's synthetic oneof markers (`_name`) dropped.
 */
export function protoJson(value: unknown): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v) => protoJson(v) ?? null);
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 2 && typeof value.seconds === 'string' && typeof value.nanos === 'number') return timestampText(value.seconds, value.nanos);
    if (keys.length === 1 && isObject(value.fields)) return fromStruct({ fields: value.fields as never });
    const out: Record<string, Json> = {};
    for (const k of keys) {
      if (k.startsWith('_')) continue;
      const v = protoJson(value[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return undefined;
}

type Trades = Trade & { readonly metadata?: Readonly<Record<string, JsonValue>> | undefined };

/** A Trade message in JSON; the request's metadata when the trade carries it. */
export function tradeJson(t: Trade): Json {
  const m = protoJson(tradeToWire(t)) as Record<string, Json>;
  const metadata = (t as Trades).metadata;
  if (m.metadata === undefined && metadata !== undefined) m.metadata = metadata;
  return m;
}

export const portfolioJson = (p: PortfolioSummary): Json => protoJson(portfolioToWire(p)) ?? {};
export const tradeResultJson = (r: TradeResult): Json => {
  const m = protoJson(tradeResultToWire(r)) as Record<string, Json>;
  m.trade = tradeJson(r.trade);
  return m;
};
export const tradePageJson = (p: TradePage): Json => {
  const m = protoJson(tradePageToWire(p)) as Record<string, Json>;
  m.trades = p.trades.map(tradeJson);
  return m;
};
export const reportJson = (r: PortfolioReport): Json => protoJson(reportToWire(r)) ?? {};

/**
 * A mark for the live stream: when, after which ledger event, and the value (floored to 6 places in
 * USD, 9 in SOL, as the report's equity points). Not a contract message; named in the same style.
 */
export function markJson(m: Mark): Json {
  const out: Record<string, Json> = { at: new Date(m.atMs).toISOString(), sequence: String(m.sequence), valueUsd: formatUsd(m.valueUsd) };
  if (m.valueSol !== undefined) out.valueSol = toDecimalString(m.valueSol, 9, 'floor');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inbound: TradeRequest in proto3 JSON

type Kind = 'string' | 'bool' | 'uint32' | 'uint64' | 'struct' | 'slippageModel' | 'action' | 'mevProtection' | 'executionPricing';

/** Every TradeRequest field: its JSON name, its proto name (the one errors name) and its kind. */
const TRADE_REQUEST_FIELDS: readonly (readonly [json: keyof TradeRequestMessage, proto: string, kind: Kind])[] = [
  ['requestId', 'request_id', 'string'],
  ['action', 'action', 'action'],
  ['baseToken', 'base_token', 'string'],
  ['quoteToken', 'quote_token', 'string'],
  ['amount', 'amount', 'string'],
  ['isBaseInput', 'is_base_input', 'bool'],
  ['slippageToleranceBps', 'slippage_tolerance_bps', 'uint32'],
  ['priorityFee', 'priority_fee', 'uint64'],
  ['simulateMev', 'simulate_mev', 'bool'],
  ['maxPriceImpactBps', 'max_price_impact_bps', 'uint32'],
  ['metadata', 'metadata', 'struct'],
  ['portfolioId', 'portfolio_id', 'string'],
  ['slippageModel', 'slippage_model', 'slippageModel'],
  ['mevProtection', 'mev_protection', 'mevProtection'],
  ['executionPricing', 'execution_pricing', 'executionPricing'],
];

const ENUMS: Readonly<Record<'action' | 'mevProtection' | 'executionPricing', readonly string[]>> = {
  action: ['TRADE_ACTION_UNSPECIFIED', 'TRADE_ACTION_BUY', 'TRADE_ACTION_SELL', 'TRADE_ACTION_SWAP'],
  mevProtection: ['MEV_PROTECTION_UNSPECIFIED', 'MEV_PROTECTION_PUBLIC', 'MEV_PROTECTION_JITO_BUNDLE', 'MEV_PROTECTION_JITO_DONTFRONT', 'MEV_PROTECTION_PRIVATE'],
  executionPricing: ['EXECUTION_PRICING_UNSPECIFIED', 'EXECUTION_PRICING_IMMEDIATE', 'EXECUTION_PRICING_LANDING'],
};

const UINT32_MAX = 4_294_967_295;

function enumValue(v: unknown, field: string, names: readonly string[]): string | number {
  if (typeof v === 'string') {
    if (names.includes(v)) return v;
    throw invalidArgument(field, `${JSON.stringify(v.slice(0, 64))} is not one of ${names.join(', ')}`);
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= UINT32_MAX) return v;
  throw invalidArgument(field, `must be an enum name (${names.join(', ')})`);
}

function uint32(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > UINT32_MAX) throw invalidArgument(field, `must be a whole number from 0 to ${UINT32_MAX}`);
  return n;
}

function jsonObject(v: unknown, field: string): JsonObject {
  if (!isObject(v)) throw invalidArgument(field, 'must be a JSON object');
  return v as JsonObject;
}

/**
 * A TradeRequest in proto3 JSON as the decoded message. Field names are the JSON names or the proto
 * names; null is an unset field. An unknown field, or a value of the wrong JSON type, is INVALID_ARGUMENT
 * naming the field; everything else (a UUID, a positive amount, known tokens, the bounds) is left to the
 * executor's validation, exactly as for a gRPC call.
 */
export function tradeRequestFromJson(body: unknown): DecodedTradeRequest {
  if (!isObject(body)) throw invalidArgument('body', 'must be a JSON object (a TradeRequest)');
  const byName = new Map<string, (typeof TRADE_REQUEST_FIELDS)[number]>();
  for (const f of TRADE_REQUEST_FIELDS) {
    byName.set(f[0], f);
    byName.set(f[1], f);
  }
  const m: DecodedTradeRequest = {
    requestId: '',
    action: 'TRADE_ACTION_UNSPECIFIED',
    baseToken: '',
    quoteToken: '',
    amount: '',
    isBaseInput: false,
    priorityFee: '0',
    simulateMev: false,
    metadata: null,
    portfolioId: '',
    slippageModel: null,
    mevProtection: 'MEV_PROTECTION_UNSPECIFIED',
    executionPricing: 'EXECUTION_PRICING_UNSPECIFIED',
  };
  const seen = new Set<string>();
  for (const [key, v] of Object.entries(body)) {
    const f = byName.get(key);
    if (f === undefined) throw invalidArgument(key.slice(0, 64), 'unknown field of TradeRequest');
    const [json, proto, kind] = f;
    if (seen.has(json)) throw invalidArgument(proto, 'given twice (by its JSON and its proto name)');
    seen.add(json);
    if (v === null) continue;
    const target = m as unknown as Record<string, unknown>;
    switch (kind) {
      case 'string':
        if (typeof v !== 'string') throw invalidArgument(proto, json === 'amount' ? 'must be a decimal string, e.g. "1.5"' : 'must be a string');
        target[json] = v;
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw invalidArgument(proto, 'must be true or false');
        target[json] = v;
        break;
      case 'uint32':
        target[json] = uint32(v, proto);
        break;
      case 'uint64':
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) target[json] = String(v);
        else if (typeof v === 'string') target[json] = v; // digits checked by validation (priority_fee)
        else throw invalidArgument(proto, 'must be a whole number of lamports');
        break;
      case 'struct':
        m.metadata = toStruct(jsonObject(v, proto));
        break;
      case 'slippageModel': {
        const spec = jsonObject(v, proto);
        for (const k of Object.keys(spec)) if (k !== 'name' && k !== 'params') throw invalidArgument(`${proto}.${k.slice(0, 64)}`, 'unknown field of SlippageModelSpec');
        const name = spec.name ?? '';
        if (typeof name !== 'string') throw invalidArgument(`${proto}.name`, 'must be a string');
        const params = spec.params === undefined || spec.params === null ? {} : jsonObject(spec.params, `${proto}.params`);
        m.slippageModel = { name, params: toStruct(params) };
        break;
      }
      case 'action':
        m.action = enumValue(v, proto, ENUMS.action) as TradeActionMessage | number;
        break;
      case 'mevProtection':
        m.mevProtection = enumValue(v, proto, ENUMS.mevProtection) as MevProtectionMessage | number;
        break;
      case 'executionPricing':
        m.executionPricing = enumValue(v, proto, ENUMS.executionPricing) as ExecutionPricingMessage | number;
        break;
    }
  }
  return m;
}
