/**
 * The same promise as reflection-generic-client.test.ts, kept by another language's stack: Python's
 * grpcio and protobuf (the C++ descriptor pool, which validates every descriptor it is given) call a
 * real server knowing nothing but reflection (test/python/reflection_client.py). Debian's
 * python3-grpcio, python3-protobuf and protobuf-compiler: .ci/run installs them; elsewhere the test is
 * skipped when they are missing, and fails in CI.
 */
import { execFile, execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Debian's interpreter, which has the python3-* packages; `python3` on PATH may be another one.
const PYTHON = '/usr/bin/python3';

function pythonReady(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' });
    execFileSync('protoc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const ready = pythonReady();
if (!ready && process.env.CI !== undefined) throw new Error('CI needs python3-grpcio, python3-protobuf and protobuf-compiler (.ci/run installs them)');

interface Output {
  services: string[];
  executor_file_set: string[];
  methods: Record<string, { kind: string; input: string; output: string; input_fields: string[] }>;
  tolerance_field: { name: string; json_name: string; in_real_oneof: boolean; has_presence: boolean };
  execute: { status: string; metadata: unknown; trade_count: string };
  portfolio: { portfolio_id: string; trade_count: string };
  streamed: { in_sent: boolean; action: string };
}

describe.skipIf(!ready)('a Python client that knows nothing but reflection', () => {
  let stop: () => Promise<void>;
  let port = 0;

  beforeAll(async () => {
    const s = await startTestServer();
    stop = s.stop;
    port = s.app.grpcPort;
  });
  afterAll(async () => {
    await stop();
  });

  it('loads the descriptors into a DescriptorPool, describes every method, and calls ExecuteTrade, GetPortfolio and StreamTrades', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        PYTHON,
        [join(ROOT, 'test', 'python', 'reflection_client.py'), '--target', `127.0.0.1:${port}`, '--proto-dir', join(ROOT, 'proto')],
        { timeout: 60_000 },
        (err, out, errText) => (err ? reject(new Error(`${err.message}\n${errText}`)) : resolve(out)),
      );
    });
    const out = JSON.parse(stdout) as Output;

    expect(out.services).toEqual(expect.arrayContaining(['paper_trader.v1.PaperTradeExecutor', 'grpc.health.v1.Health']));
    expect(out.executor_file_set).toEqual(['google/protobuf/struct.proto', 'google/protobuf/timestamp.proto', 'paper_trader/v1/executor.proto']);
    expect(Object.keys(out.methods).sort()).toEqual(
      ['ExecuteTrade', 'GetPortfolio', 'GetReport', 'ListPortfolios', 'ListTrades', 'ResetPortfolio', 'StreamTrades'].map((m) => `paper_trader.v1.PaperTradeExecutor/${m}`),
    );
    expect(out.methods['paper_trader.v1.PaperTradeExecutor/StreamTrades']).toMatchObject({ kind: '-> stream', output: 'paper_trader.v1.Trade' });
    expect(out.methods['paper_trader.v1.PaperTradeExecutor/ExecuteTrade']?.input_fields.slice(0, 3)).toEqual(['request_id', 'action', 'base_token']);
    expect(out.tolerance_field).toEqual({ name: 'slippage_tolerance_bps', json_name: 'slippageToleranceBps', in_real_oneof: false, has_presence: true });

    expect(out.execute).toEqual({ status: 'TRADE_STATUS_FILLED', metadata: { strategy: 'python', tags: ['a', 1] }, trade_count: '1' });
    expect(out.portfolio).toEqual({ portfolio_id: 'generic-python', trade_count: '1' });
    expect(out.streamed).toEqual({ in_sent: true, action: 'TRADE_ACTION_SELL' });
  });
});
