/**
 * Typed, promise-based client for strategies written in TypeScript (`paper-trade-executor/client`).
 * It speaks the same contract a live trader serves, so a strategy switches between paper and live by
 * changing the address. Responses are the wire messages, typed by the code generated from the proto
 * (src/contract): amounts and prices stay exact decimal strings; nothing is converted to floating
 * point on the way in.
 *
 * Failures reject with the @grpc/grpc-js ServiceError (`code`, `details`, and trailing metadata
 * `pte-error-code` naming the executor's error code).
 */
import { Client, Metadata, credentials as grpcCredentials, status, type ChannelCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import {
  serviceDefinition,
  toStruct,
  type ExecutionPricingMessage,
  type GetReportRequestMessage,
  type JsonValue,
  type ListPortfoliosResponseMessage,
  type ListTradesResponseMessage,
  type MevProtectionMessage,
  type NoopResponseMessage,
  type NullValueMessage,
  type PortfolioReportMessage,
  type PortfolioSummaryMessage,
  type TimestampMessage,
  type TradeActionMessage,
  type TradeMessage,
  type TradeRequestMessageInput,
  type TradeResultMessage,
  type TradeStatusMessage,
} from '../contract/index.js';

export type * from '../contract/index.js';
export { fromStruct, toStruct } from '../contract/index.js';

/** Enum names as the server sends them (the names callers of earlier versions import). */
export type TradeActionName = TradeActionMessage;
export type TradeStatusName = TradeStatusMessage;
export type MevProtectionName = MevProtectionMessage;
export type ExecutionPricingName = ExecutionPricingMessage;
export type NullValueName = NullValueMessage;

/** Short action names are enough; full enum names and raw numbers are accepted too (tests, newer servers). */
export type TradeActionInput = 'BUY' | 'SELL' | 'SWAP' | TradeActionName | number;
export type MevProtectionInput = 'PUBLIC' | 'JITO_BUNDLE' | 'JITO_DONTFRONT' | 'PRIVATE' | MevProtectionName | number;
/** IMMEDIATE: priced on arrival; LANDING: priced when the transaction would land, answered then. */
export type ExecutionPricingInput = 'IMMEDIATE' | 'LANDING' | ExecutionPricingName | number;

/** A trade request as a strategy writes it; every optional field takes the contract's default. */
export interface TradeRequestInput {
  readonly requestId: string;
  readonly action: TradeActionInput;
  readonly baseToken: string;
  readonly quoteToken: string;
  /** Plain positive decimal in token units, e.g. "1.5". */
  readonly amount: string;
  readonly isBaseInput: boolean;
  readonly slippageToleranceBps?: number;
  /** Lamports; default 0. */
  readonly priorityFee?: string | number | bigint;
  readonly simulateMev?: boolean;
  readonly maxPriceImpactBps?: number;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  /** "" or absent: the default portfolio. */
  readonly portfolioId?: string;
  readonly slippageModel?: { readonly name: string; readonly params?: Readonly<Record<string, JsonValue>> };
  readonly mevProtection?: MevProtectionInput;
  /** Absent: the server's execution.pricing. */
  readonly executionPricing?: ExecutionPricingInput;
}

export interface CallOptions {
  /** Overrides the client's defaultDeadlineMs for this call. */
  readonly deadlineMs?: number;
  /** Cancels the call (the server stops work not yet booked). */
  readonly signal?: AbortSignal;
  readonly metadata?: Metadata;
}

export interface ListTradesInput {
  readonly portfolioId?: string;
  /** 0 or absent: the server's default page size. */
  readonly limit?: number;
  readonly pageToken?: string;
}

/** GetReport's query (docs/reports.md); every field optional. */
export interface ReportInput {
  /** "" or absent: "default". */
  readonly portfolioId?: string;
  /** Start of the range (a Date or ms since the epoch); absent: the portfolio's first mark. */
  readonly from?: Date | number;
  /** End of the range, inclusive; absent: now. */
  readonly to?: Date | number;
  /** Metadata key the per-tag results group by; absent: "strategy". */
  readonly groupBy?: string;
  /** Bound on the equity curve's points; absent: 2,000. */
  readonly maxPoints?: number;
}

/** A live feed of trades; iterate it, and cancel it (or break out of the loop) when done. */
export interface TradeStream extends AsyncIterable<TradeMessage> {
  cancel(): void;
}

export interface ExecutorClientOptions {
  /** Default: insecure (plaintext), as for a sidecar on localhost. */
  readonly credentials?: ChannelCredentials;
  /** Applied to unary calls that pass no deadline. Default: none. */
  readonly defaultDeadlineMs?: number;
  readonly channelOptions?: ChannelOptions;
  /**
   * Sent as the x-api-key header on every call when the server requires keys (docs/hardening.md).
   * For TLS pass `credentials: credentials.createSsl(caPem)`.
   */
  readonly apiKey?: string;
}

export interface ExecutorClient {
  executeTrade(req: TradeRequestInput, opts?: CallOptions): Promise<TradeResultMessage>;
  getPortfolio(portfolioId?: string, opts?: CallOptions): Promise<PortfolioSummaryMessage>;
  /** balances: symbol or mint -> decimal amount; empty or absent = the configured starting balances. */
  resetPortfolio(portfolioId: string, balances?: Readonly<Record<string, string>>, opts?: CallOptions): Promise<PortfolioSummaryMessage>;
  listTrades(req?: ListTradesInput, opts?: CallOptions): Promise<ListTradesResponseMessage>;
  streamTrades(portfolioId?: string, opts?: Pick<CallOptions, 'metadata' | 'signal'>): TradeStream;
  /** Every portfolio the caller may use, with its summary, sorted by id. */
  listPortfolios(opts?: CallOptions): Promise<ListPortfoliosResponseMessage>;
  /** How a portfolio did over a range: equity vs buy-and-hold, drawdown, returns, costs, per-tag and per-token results. */
  getReport(req?: ReportInput, opts?: CallOptions): Promise<PortfolioReportMessage>;
  /** The Diagnostics no-op: measures the transport alone. */
  noop(requestId?: string, opts?: CallOptions): Promise<NoopResponseMessage>;
  /** Resolves once connected; rejects if not connected within `timeoutMs` from now. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
  /** The underlying grpc-js client, for what this wrapper does not cover. */
  readonly grpcClient: Client;
}

const ACTION_TO_WIRE: Readonly<Record<Exclude<TradeActionInput, number>, TradeActionName>> = {
  BUY: 'TRADE_ACTION_BUY',
  SELL: 'TRADE_ACTION_SELL',
  SWAP: 'TRADE_ACTION_SWAP',
  TRADE_ACTION_UNSPECIFIED: 'TRADE_ACTION_UNSPECIFIED',
  TRADE_ACTION_BUY: 'TRADE_ACTION_BUY',
  TRADE_ACTION_SELL: 'TRADE_ACTION_SELL',
  TRADE_ACTION_SWAP: 'TRADE_ACTION_SWAP',
};
const MEV_TO_WIRE: Readonly<Record<Exclude<MevProtectionInput, number>, MevProtectionName>> = {
  PUBLIC: 'MEV_PROTECTION_PUBLIC',
  JITO_BUNDLE: 'MEV_PROTECTION_JITO_BUNDLE',
  JITO_DONTFRONT: 'MEV_PROTECTION_JITO_DONTFRONT',
  PRIVATE: 'MEV_PROTECTION_PRIVATE',
  MEV_PROTECTION_UNSPECIFIED: 'MEV_PROTECTION_UNSPECIFIED',
  MEV_PROTECTION_PUBLIC: 'MEV_PROTECTION_PUBLIC',
  MEV_PROTECTION_JITO_BUNDLE: 'MEV_PROTECTION_JITO_BUNDLE',
  MEV_PROTECTION_JITO_DONTFRONT: 'MEV_PROTECTION_JITO_DONTFRONT',
  MEV_PROTECTION_PRIVATE: 'MEV_PROTECTION_PRIVATE',
};

const actionToWire = (a: TradeActionInput): TradeActionName | number => (typeof a === 'number' ? a : ACTION_TO_WIRE[a]);

function mevToWire(m: MevProtectionInput | undefined): MevProtectionName | number {
  if (m === undefined) return 'MEV_PROTECTION_UNSPECIFIED';
  return typeof m === 'number' ? m : MEV_TO_WIRE[m];
}

function pricingToWire(p: ExecutionPricingInput): ExecutionPricingName | number {
  if (typeof p === 'number') return p;
  return p === 'IMMEDIATE' || p === 'LANDING' ? `EXECUTION_PRICING_${p}` : p;
}

/**
 * Builds the wire TradeRequest, applying the contract's defaults; optional scalars stay absent when
 * unset. A raw enum number is sent as given (a value this schema may not know), hence the casts.
 */
export function toTradeRequestMessage(req: TradeRequestInput): TradeRequestMessageInput {
  const msg: TradeRequestMessageInput = {
    requestId: req.requestId,
    action: actionToWire(req.action) as TradeActionMessage,
    baseToken: req.baseToken,
    quoteToken: req.quoteToken,
    amount: req.amount,
    isBaseInput: req.isBaseInput,
    priorityFee: req.priorityFee === undefined ? '0' : String(req.priorityFee),
    simulateMev: req.simulateMev ?? false,
    metadata: req.metadata === undefined ? null : toStruct(req.metadata),
    portfolioId: req.portfolioId ?? '',
    slippageModel:
      req.slippageModel === undefined ? null : { name: req.slippageModel.name, params: toStruct(req.slippageModel.params ?? {}) },
    mevProtection: mevToWire(req.mevProtection) as MevProtectionMessage,
  };
  if (req.slippageToleranceBps !== undefined) msg.slippageToleranceBps = req.slippageToleranceBps;
  if (req.maxPriceImpactBps !== undefined) msg.maxPriceImpactBps = req.maxPriceImpactBps;
  if (req.executionPricing !== undefined) msg.executionPricing = pricingToWire(req.executionPricing) as ExecutionPricingMessage;
  return msg;
}

/** A Date or ms since the epoch as a Timestamp (ms precision); RangeError for an invalid instant. */
export function toTimestamp(t: Date | number, field: string): TimestampMessage {
  const ms = Math.floor(typeof t === 'number' ? t : t.getTime());
  if (!Number.isSafeInteger(ms)) throw new RangeError(`${field}: not a valid instant`);
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Builds the wire GetReportRequest; absent times stay absent. */
export function toReportRequestMessage(req: ReportInput = {}): GetReportRequestMessage {
  return {
    portfolioId: req.portfolioId ?? '',
    from: req.from === undefined ? null : toTimestamp(req.from, 'from'),
    to: req.to === undefined ? null : toTimestamp(req.to, 'to'),
    groupBy: req.groupBy ?? '',
    maxPoints: req.maxPoints ?? 0,
  };
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' && 'details' in e;
}

/** What a unary call needs of a generated method definition. */
interface UnaryMethod<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => Res;
}

/** Connects lazily: the first call (or waitForReady) opens the channel. */
export function createExecutorClient(address: string, options: ExecutorClientOptions = {}): ExecutorClient {
  const client = new Client(address, options.credentials ?? grpcCredentials.createInsecure(), options.channelOptions ?? {});
  const exec = serviceDefinition('paper_trader.v1.PaperTradeExecutor');
  const diag = serviceDefinition('paper_trader.v1.Diagnostics');
  /** The call's metadata plus the API key (a copy: the caller's Metadata is not changed). */
  const withKey = (md: Metadata | undefined): Metadata => {
    if (options.apiKey === undefined) return md ?? new Metadata();
    const out = md?.clone() ?? new Metadata();
    if (out.get('x-api-key').length === 0) out.set('x-api-key', options.apiKey);
    return out;
  };

  function unary<Req, Res>(m: UnaryMethod<Req, Res>, req: Req, opts: CallOptions | undefined): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const deadlineMs = opts?.deadlineMs ?? options.defaultDeadlineMs;
      const callOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
      const signal = opts?.signal;
      let onAbort: (() => void) | undefined;
      const call = client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        req,
        withKey(opts?.metadata),
        callOptions,
        (err, res) => {
          if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else if (res === undefined) reject(new Error(`${m.path}: empty response`));
          else resolve(res);
        },
      );
      if (signal !== undefined) {
        onAbort = () => call.cancel();
        if (signal.aborted) call.cancel();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  function streamTrades(portfolioId = '', opts?: Pick<CallOptions, 'metadata' | 'signal'>): TradeStream {
    const m = exec.StreamTrades;
    const call = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, { portfolioId }, withKey(opts?.metadata), {});
    // A small pull queue over the stream's events: pausing the stream when the consumer falls
    // behind keeps memory bounded (HTTP/2 flow control pushes back to the server).
    const HIGH_WATER = 256;
    const queue: TradeMessage[] = [];
    let done = false;
    let failure: Error | undefined;
    let cancelledByUs = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const cancel = (): void => {
      if (done) return;
      cancelledByUs = true;
      call.cancel();
    };
    call.on('data', (t: TradeMessage) => {
      queue.push(t);
      if (queue.length >= HIGH_WATER) call.pause();
      notify();
    });
    call.on('error', (e: unknown) => {
      // Our own cancel ends the stream quietly; any other error reaches the consumer.
      if (!(cancelledByUs && isServiceError(e) && e.code === status.CANCELLED)) failure ??= e instanceof Error ? e : new Error(String(e));
      done = true;
      notify();
    });
    call.on('end', () => {
      done = true;
      notify();
    });
    const signal = opts?.signal;
    if (signal !== undefined) {
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
    }

    return {
      cancel,
      async *[Symbol.asyncIterator](): AsyncGenerator<TradeMessage, void, undefined> {
        try {
          for (;;) {
            const next = queue.shift();
            if (next !== undefined) {
              if (queue.length < HIGH_WATER / 2 && call.isPaused()) call.resume();
              yield next;
              continue;
            }
            if (done) {
              if (failure !== undefined) throw failure;
              return;
            }
            await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          // Leaving the loop early (break, return, throw in the body) cancels the call.
          cancel();
          signal?.removeEventListener('abort', cancel);
        }
      },
    };
  }

  return {
    grpcClient: client,
    executeTrade: (req, opts) => unary(exec.ExecuteTrade, toTradeRequestMessage(req), opts),
    getPortfolio: (portfolioId = '', opts) => unary(exec.GetPortfolio, { portfolioId }, opts),
    resetPortfolio: (portfolioId, balances = {}, opts) => unary(exec.ResetPortfolio, { portfolioId, balances: { ...balances } }, opts),
    listTrades: (req = {}, opts) =>
      unary(exec.ListTrades, { portfolioId: req.portfolioId ?? '', limit: req.limit ?? 0, pageToken: req.pageToken ?? '' }, opts),
    streamTrades,
    listPortfolios: (opts) => unary(exec.ListPortfolios, {}, opts),
    getReport: (req, opts) => {
      let msg: GetReportRequestMessage;
      try {
        msg = toReportRequestMessage(req);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      return unary(exec.GetReport, msg, opts);
    },
    noop: (requestId = '', opts) => unary(diag.Noop, { requestId }, opts),
    waitForReady: (timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => client.close(),
  };
}
