/**
 * A GENERIC client, as grpcurl, Postman or grpcui are: it has no copy of the contract (it imports
 * nothing from src/, only the standard reflection.proto every such tool carries) and learns
 * everything from server reflection. It lists the services, fetches their files by symbol and by
 * name, builds a protobuf registry from them (@bufbuild/protobuf, a conformant implementation that
 * refuses malformed descriptors), describes every method, and calls them with messages it builds from
 * those descriptors alone. This protects the promise that reflection serves the real contract.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Metadata, credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { create, createFileRegistry, fromBinary, fromJson, toBinary, toJson, type DescMessage, type FileRegistry, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './support.js';

// ---------------------------------------------------------------------------------------------
// The generic client

interface ReflectionRequest {
  fileByFilename?: string;
  fileContainingSymbol?: string;
  listServices?: string;
}
interface ReflectionResponse {
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] } | null;
  listServicesResponse?: { service: { name: string }[] } | null;
  errorResponse?: { errorCode: number; errorMessage: string } | null;
}

const REFLECTION_PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto');

/** One reflection stream (grpc.reflection.v1 or v1alpha); requests are answered in order. */
class Reflector {
  private readonly call: ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
  private readonly waiting: ((r: ReflectionResponse) => void)[] = [];

  constructor(client: Client, version: 'v1' | 'v1alpha') {
    const file = `grpc/reflection/${version}/reflection.proto`;
    const pkg = loadSync(file, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [REFLECTION_PROTO_DIR] });
    const svc = pkg[`grpc.reflection.${version}.ServerReflection`] as unknown as Record<string, MethodDefinition<ReflectionRequest, ReflectionResponse>>;
    const m = svc.ServerReflectionInfo;
    if (m === undefined) throw new Error('reflection.proto has no ServerReflectionInfo');
    this.call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), {});
    this.call.on('data', (r: ReflectionResponse) => this.waiting.shift()?.(r));
    this.call.on('error', () => undefined);
  }

  ask(req: ReflectionRequest): Promise<ReflectionResponse> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.call.write(req);
    });
  }

  close(): void {
    this.call.end();
  }

  async services(): Promise<string[]> {
    const r = await this.ask({ listServices: '*' });
    return (r.listServicesResponse?.service ?? []).map((s) => s.name);
  }

  /** The files an answer carries, decoded, or the error it names. */
  async files(req: ReflectionRequest): Promise<FileDescriptorProto[]> {
    const r = await this.ask(req);
    if (r.errorResponse) throw Object.assign(new Error(r.errorResponse.errorMessage), { code: r.errorResponse.errorCode });
    return (r.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) => fromBinary(FileDescriptorProtoSchema, b));
  }
}

/** Everything reflection says about the listed services, as one registry (imports fetched as needed). */
async function discover(reflector: Reflector): Promise<{ services: string[]; registry: FileRegistry; files: Map<string, FileDescriptorProto> }> {
  const services = await reflector.services();
  const files = new Map<string, FileDescriptorProto>();
  const add = (fs: FileDescriptorProto[]): void => {
    for (const f of fs) if (!files.has(f.name)) files.set(f.name, f);
  };
  for (const s of services) add(await reflector.files({ fileContainingSymbol: s }));
  for (let missing = missingImports(files); missing.length > 0; missing = missingImports(files)) {
    for (const name of missing) add(await reflector.files({ fileByFilename: name }));
  }
  return { services, registry: createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst(files) })), files };
}

/** The files with every import before the files importing it, as a FileDescriptorSet lists them. */
function importsFirst(files: Map<string, FileDescriptorProto>): FileDescriptorProto[] {
  const out: FileDescriptorProto[] = [];
  const done = new Set<string>();
  const visit = (f: FileDescriptorProto): void => {
    if (done.has(f.name)) return;
    done.add(f.name);
    for (const d of f.dependency) {
      const dep = files.get(d);
      if (dep) visit(dep);
    }
    out.push(f);
  };
  for (const f of files.values()) visit(f);
  return out;
}

function missingImports(files: Map<string, FileDescriptorProto>): string[] {
  return [...new Set([...files.values()].flatMap((f) => f.dependency))].filter((d) => !files.has(d));
}

/** Calls a method knowing only its descriptors: the request is proto3 JSON, the answer comes back as proto3 JSON. */
function caller(client: Client, registry: FileRegistry) {
  const method = (service: string, name: string) => {
    const m = registry.getService(service)?.methods.find((x) => x.name === name);
    if (m === undefined) throw new Error(`${service}/${name} not described`);
    return {
      path: `/${service}/${name}`,
      encode: (json: JsonValue): Buffer => Buffer.from(toBinary(m.input, fromJson(m.input, json, { registry }))),
      decode: (b: Buffer): JsonValue => toJson(m.output, fromBinary(m.output, b), { registry }),
    };
  };
  return {
    unary(service: string, name: string, json: JsonValue): Promise<Record<string, unknown>> {
      const m = method(service, name);
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(m.path, (x: Buffer) => x, m.decode, m.encode(json), new Metadata(), { deadline: Date.now() + 10_000 }, (err, res) =>
          err ? reject(err) : resolve(res as Record<string, unknown>),
        );
      });
    },
    serverStream(service: string, name: string, json: JsonValue) {
      const m = method(service, name);
      const call = client.makeServerStreamRequest(m.path, (x: Buffer) => x, m.decode, m.encode(json), new Metadata(), {});
      call.on('error', () => undefined);
      return call;
    },
  };
}

// ---------------------------------------------------------------------------------------------

const EXECUTOR = 'paper_trader.v1.PaperTradeExecutor';
const EXECUTOR_FILE = 'paper_trader/v1/executor.proto';

let stop: () => Promise<void>;
let client: Client;
let reflector: Reflector;

beforeAll(async () => {
  const s = await startTestServer();
  stop = s.stop;
  client = new Client(`127.0.0.1:${s.app.grpcPort}`, credentials.createInsecure());
  reflector = new Reflector(client, 'v1');
});
afterAll(async () => {
  reflector.close();
  client.close();
  await stop();
});

describe('server reflection, as a generic client sees it', () => {
  it('lists the executor, health and reflection services, and no Diagnostics unless configured', async () => {
    const services = await reflector.services();
    expect(services).toEqual(
      expect.arrayContaining([EXECUTOR, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']),
    );
    expect(services).not.toContain('paper_trader.v1.Diagnostics');
  });

  it('finds the contract by its real file name, with its real imports first in line after it', async () => {
    const files = await reflector.files({ fileByFilename: EXECUTOR_FILE });
    expect(files.map((f) => f.name)).toEqual([EXECUTOR_FILE, 'google/protobuf/struct.proto', 'google/protobuf/timestamp.proto']);
    expect(files[0]?.dependency).toEqual(['google/protobuf/struct.proto', 'google/protobuf/timestamp.proto']);
    expect(files[0]?.package).toBe('paper_trader.v1');
    // By symbol (a service, a method, a message, a field, an enum value) it is the same file.
    for (const symbol of [EXECUTOR, `${EXECUTOR}.ExecuteTrade`, 'paper_trader.v1.TradeRequest', 'paper_trader.v1.TradeRequest.request_id', 'paper_trader.v1.TRADE_STATUS_FILLED']) {
      expect((await reflector.files({ fileContainingSymbol: symbol }))[0]?.name).toBe(EXECUTOR_FILE);
    }
  });

  it('answers NOT_FOUND for an unknown file or symbol, and keeps the stream usable', async () => {
    await expect(reflector.files({ fileByFilename: 'nope.proto' })).rejects.toMatchObject({ code: 5 });
    await expect(reflector.files({ fileContainingSymbol: 'paper_trader.v1.Nope' })).rejects.toMatchObject({ code: 5 });
    expect(await reflector.services()).toContain(EXECUTOR);
  });

  it('describes fields as the .proto declares them: snake_case with json_name, proto3 optional as such', async () => {
    const { registry, files } = await discover(reflector);
    const req = registry.getMessage('paper_trader.v1.TradeRequest') as DescMessage;
    const byName = new Map(req.fields.map((f) => [f.name, f]));
    expect(byName.get('request_id')?.jsonName).toBe('requestId');
    expect(byName.get('is_base_input')?.number).toBe(6);
    const tolerance = byName.get('slippage_tolerance_bps');
    expect(tolerance?.proto.proto3Optional).toBe(true);
    expect(tolerance?.oneof).toBeUndefined(); // a synthetic oneof, not a real one
    expect(req.oneofs).toHaveLength(0);
    // Comments travel with the descriptors (grpcurl describe shows them).
    const executorFile = files.get(EXECUTOR_FILE);
    expect(executorFile?.sourceCodeInfo?.location.some((l) => l.leadingComments.includes('Prices, slips, charges and books one trade'))).toBe(true);
    // Every method of every listed service resolves to messages the registry knows.
    for (const name of await reflector.services()) {
      const svc = registry.getService(name);
      expect(svc, name).toBeDefined();
      for (const m of svc?.methods ?? []) expect(registry.getMessage(m.input.typeName) && registry.getMessage(m.output.typeName)).toBeDefined();
    }
    expect(registry.getService(EXECUTOR)?.methods.map((m) => `${m.name}:${m.methodKind}`)).toEqual([
      'ExecuteTrade:unary',
      'GetPortfolio:unary',
      'ResetPortfolio:unary',
      'ListTrades:unary',
      'StreamTrades:server_streaming',
      'ListPortfolios:unary',
      'GetReport:unary',
    ]);
  });

  it('v1alpha answers the same files', async () => {
    const alpha = new Reflector(client, 'v1alpha');
    try {
      const [v1, a] = await Promise.all([reflector.files({ fileByFilename: EXECUTOR_FILE }), alpha.files({ fileByFilename: EXECUTOR_FILE })]);
      expect(a.map((f) => f.name)).toEqual(v1.map((f) => f.name));
      expect(await alpha.services()).toContain(EXECUTOR);
    } finally {
      alpha.close();
    }
  });
});

describe('calling every method with messages built from reflection alone', () => {
  it('ExecuteTrade, GetPortfolio, StreamTrades and the rest answer in the contract’s proto3 JSON', async () => {
    const { registry } = await discover(reflector);
    const call = caller(client, registry);
    const portfolio = 'generic-ts';

    const result = await call.unary(EXECUTOR, 'ExecuteTrade', {
      request_id: randomUUID(), // the proto name; JSON names work too
      action: 'TRADE_ACTION_BUY',
      baseToken: 'SOL',
      quoteToken: 'USDC',
      amount: '1',
      isBaseInput: true,
      slippageToleranceBps: 500,
      portfolioId: portfolio,
      metadata: { strategy: 'generic', depth: { n: 1 } },
    });
    const trade = result.trade as Record<string, unknown>;
    expect(trade.status).toBe('TRADE_STATUS_FILLED');
    expect(trade.metadata).toEqual({ strategy: 'generic', depth: { n: 1 } });
    expect(typeof trade.seed).toBe('string'); // uint64 as a JSON string
    expect((result.portfolioState as Record<string, unknown>).tradeCount).toBe('1');

    const summary = await call.unary(EXECUTOR, 'GetPortfolio', { portfolioId: portfolio });
    expect(summary.portfolioId).toBe(portfolio);
    expect(summary.tradeCount).toBe('1');
    expect(summary.stateHash).toMatch(/^[0-9a-f]{64}$/);

    // StreamTrades: trades are sent until one comes through (the subscription lands at the server
    // asynchronously; nothing tells a generic client when).
    const stream = call.serverStream(EXECUTOR, 'StreamTrades', { portfolioId: portfolio });
    const seen = new Promise<Record<string, unknown>>((resolve) => stream.once('data', resolve));
    const sent: string[] = [];
    let streamed: Record<string, unknown> | undefined;
    for (let i = 0; i < 20 && streamed === undefined; i++) {
      const id = randomUUID();
      sent.push(id);
      await call.unary(EXECUTOR, 'ExecuteTrade', { requestId: id, action: 'TRADE_ACTION_SELL', baseToken: 'SOL', quoteToken: 'USDC', amount: '0.1', isBaseInput: true, portfolioId: portfolio });
      streamed = await Promise.race([seen, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
    }
    stream.cancel();
    expect(sent).toContain(streamed?.requestId);
    expect(streamed?.action).toBe('TRADE_ACTION_SELL');

    const listed = await call.unary(EXECUTOR, 'ListTrades', { portfolioId: portfolio, limit: 100 });
    expect((listed.trades as unknown[]).length).toBe(1 + sent.length);
    const reset = await call.unary(EXECUTOR, 'ResetPortfolio', { portfolioId: 'generic-ts-reset', balances: { USDC: '500' } });
    expect(reset.tradeCount).toBe(undefined); // proto3 JSON leaves a zero out
    const all = await call.unary(EXECUTOR, 'ListPortfolios', {});
    expect((all.portfolios as { portfolioId: string }[]).map((p) => p.portfolioId)).toEqual(expect.arrayContaining([portfolio, 'generic-ts-reset']));
    const report = await call.unary(EXECUTOR, 'GetReport', { portfolioId: portfolio });
    expect(report.portfolioId).toBe(portfolio);
    expect((report.trades as Record<string, unknown>).total).toBe(String(1 + sent.length));
    const health = await call.unary('grpc.health.v1.Health', 'Check', { service: EXECUTOR });
    expect(health.status).toBe('SERVING');
  });
});
