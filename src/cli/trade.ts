/** `pte trade <buy|sell|swap> <BASE/QUOTE> <amount> [flags]`: one paper trade from the command line. */
import { randomUUID } from 'node:crypto';
import type { JsonValue, TradeRequestInput } from '../client/index.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, keyValue, paramValue, parseCommandArgs, resolveConnection, UsageError, wholeNumber, type ClientConnection } from './args.js';
import { formatTradeResult } from './format.js';
import { toJson, withClient, type CliIo } from './io.js';

export const TRADE_USAGE = `usage: pte trade <buy|sell|swap> <BASE/QUOTE> <amount> [options]

Executes one paper trade. The amount is in BASE units unless --in quote is given:
  pte trade buy SOL/USDC 1              receive exactly 1 SOL
  pte trade buy SOL/USDC 150 --in quote spend exactly 150 USDC
  pte trade sell SOL/USDC 2             sell exactly 2 SOL
  pte trade swap JUP/SOL 100            swap 100 JUP into SOL (--in quote: swap SOL into JUP)

options:
  --in base|quote            unit of <amount> (default base)
  --portfolio ID             portfolio (default: "default")
  --slippage-model NAME      fixed, quote, cpmm, sqrt or random (default: the server's configured model)
  --slippage-bps N           shorthand for --slippage-model fixed --param bps=N
  --param KEY=VALUE          a slippage model parameter (repeatable)
  --tolerance-bps N          fail with FAILED_SLIPPAGE beyond this (0-4999; default: configured)
  --max-impact-bps N         refuse the trade above this price impact (0-10000)
  --priority-fee LAMPORTS    priority fee (below 1,000,000)
  --mev                      simulate a sandwich attack
  --mev-protection P         public, jito_bundle, jito_dontfront or private
  --pricing immediate|landing  when the trade is priced (default: the server's execution.pricing);
                             landing waits the seeded landing delay and prices on the market then
  --landing                  shorthand for --pricing landing
  --request-id UUID          idempotency key (default: a random UUID)
  --json                     print the TradeResult as JSON

${CONNECTION_USAGE}`;

const OPTIONS = {
  in: { type: 'string' },
  portfolio: { type: 'string' },
  'slippage-model': { type: 'string' },
  'slippage-bps': { type: 'string' },
  param: { type: 'string', multiple: true },
  'tolerance-bps': { type: 'string' },
  'max-impact-bps': { type: 'string' },
  'priority-fee': { type: 'string' },
  mev: { type: 'boolean' },
  'mev-protection': { type: 'string' },
  pricing: { type: 'string' },
  landing: { type: 'boolean' },
  'request-id': { type: 'string' },
  json: { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} as const;

const ACTIONS = { buy: 'BUY', sell: 'SELL', swap: 'SWAP' } as const;
const PROTECTIONS = { public: 'PUBLIC', jito_bundle: 'JITO_BUNDLE', jito_dontfront: 'JITO_DONTFRONT', private: 'PRIVATE' } as const;

export interface TradeCommand {
  readonly request: TradeRequestInput;
  readonly json: boolean;
  readonly addr: string;
  readonly connection: ClientConnection;
}

/**
 * Turns the command line into the request, checking what can be checked without the server. Amount
 * and token rules are the server's (it knows each token's decimals), so they are passed as typed.
 */
export function parseTradeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}, newId: () => string = randomUUID): TradeCommand {
  const C = 'trade';
  const { values: v, positionals } = parseCommandArgs(argv, OPTIONS, C);
  const connection = resolveConnection(v, env, C);
  if (positionals.length !== 3) throw new UsageError(`expected <buy|sell|swap> <BASE/QUOTE> <amount>, got ${positionals.length} argument(s)`, C);
  const [actionText = '', pairText = '', amountText = ''] = positionals;

  const action = (ACTIONS as Record<string, (typeof ACTIONS)[keyof typeof ACTIONS] | undefined>)[actionText.toLowerCase()];
  if (action === undefined) throw new UsageError(`unknown action ${JSON.stringify(actionText)}; expected buy, sell or swap`, C);
  const pair = pairText.split('/');
  if (pair.length !== 2 || pair[0] === '' || pair[1] === '') {
    throw new UsageError(`${JSON.stringify(pairText)} is not a pair; write BASE/QUOTE, e.g. SOL/USDC`, C);
  }
  const [baseToken = '', quoteToken = ''] = pair;

  const unit = v.in ?? 'base';
  if (unit !== 'base' && unit !== 'quote') throw new UsageError(`--in: expected base or quote, got ${JSON.stringify(unit)}`, C);

  const request: {
    -readonly [K in keyof TradeRequestInput]: TradeRequestInput[K];
  } = {
    requestId: v['request-id'] ?? newId(),
    action,
    baseToken,
    quoteToken,
    amount: amountText,
    isBaseInput: unit === 'base',
    simulateMev: v.mev === true,
  };
  if (v.portfolio !== undefined) request.portfolioId = v.portfolio;
  const model = slippageModel(v['slippage-model'], v['slippage-bps'], v.param ?? [], C);
  if (model !== undefined) request.slippageModel = model;
  if (v['tolerance-bps'] !== undefined) request.slippageToleranceBps = wholeNumber('--tolerance-bps', v['tolerance-bps'], 0, 4_999, C);
  if (v['max-impact-bps'] !== undefined) request.maxPriceImpactBps = wholeNumber('--max-impact-bps', v['max-impact-bps'], 0, 10_000, C);
  if (v['priority-fee'] !== undefined) {
    request.priorityFee = String(wholeNumber('--priority-fee', v['priority-fee'], 0, 999_999, C));
  }
  if (v['mev-protection'] !== undefined) {
    const p = (PROTECTIONS as Record<string, (typeof PROTECTIONS)[keyof typeof PROTECTIONS] | undefined>)[v['mev-protection'].toLowerCase()];
    if (p === undefined) {
      throw new UsageError(`--mev-protection: expected ${Object.keys(PROTECTIONS).join(', ')}; got ${JSON.stringify(v['mev-protection'])}`, C);
    }
    request.mevProtection = p;
  }
  const pricing = v.landing === true ? 'landing' : v.pricing?.toLowerCase();
  if (v.landing === true && v.pricing !== undefined && v.pricing.toLowerCase() !== 'landing') {
    throw new UsageError(`--landing contradicts --pricing ${v.pricing}`, C);
  }
  if (pricing !== undefined) {
    if (pricing !== 'immediate' && pricing !== 'landing') throw new UsageError(`--pricing: expected immediate or landing, got ${JSON.stringify(v.pricing)}`, C);
    request.executionPricing = pricing === 'landing' ? 'LANDING' : 'IMMEDIATE';
  }
  return { request, json: v.json === true, addr: connection.addr, connection };
}

function slippageModel(
  name: string | undefined,
  bpsText: string | undefined,
  params: readonly string[],
  C: string,
): TradeRequestInput['slippageModel'] {
  if (bpsText !== undefined && name !== undefined && name !== 'fixed') {
    throw new UsageError(`--slippage-bps is the fixed model's parameter; with --slippage-model ${name} use --param`, C);
  }
  const spec: Record<string, JsonValue> = {};
  for (const p of params) {
    const [k, val] = keyValue('--param', p, C);
    spec[k] = paramValue(val);
  }
  if (bpsText !== undefined) spec.bps = wholeNumber('--slippage-bps', bpsText, 0, 4_999, C);
  const model = name ?? (bpsText !== undefined ? 'fixed' : undefined);
  if (model === undefined) {
    if (params.length > 0) throw new UsageError('--param needs --slippage-model (or --slippage-bps)', C);
    return undefined;
  }
  return { name: model, params: spec };
}

export async function runTrade(cmd: TradeCommand, io: CliIo): Promise<number> {
  const result = await withClient(io, cmd.connection, (client) => client.executeTrade(cmd.request));
  io.out(cmd.json ? toJson(result) : formatTradeResult(result));
  return 0;
}
