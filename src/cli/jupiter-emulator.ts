/**
 * `pte jupiter-emulator`: a local Jupiter (Price v3 and Quote API) priced from the simulated market,
 * with fault injection, so failover, rate limits and bad data can be tried by hand:
 *   pte jupiter-emulator --port 8081 &
 *   pte jupiter-emulator --port 8082 --fault price:latency=20-50 &
 *   pte serve --market jupiter --jupiter-url http://127.0.0.1:8081 --jupiter-url http://127.0.0.1:8082
 *   curl -X PUT http://127.0.0.1:8081/__emulator/faults -d '["500"]'    # kill the first endpoint
 */
import { FAULT_SYNTAX, parseFault, startJupiterEmulator, type Fault } from '../app.js';
import { parseCommandArgs, UsageError, wholeNumber } from './args.js';
import type { CliIo } from './io.js';
import { processSignals } from './serve.js';

export const JUPITER_EMULATOR_USAGE = `usage: pte jupiter-emulator [options]

Serves GET /price/v3 and GET /swap/v1/quote in Jupiter's response shapes, priced from the simulated
market, for tests and for trying failover by hand. Runs until SIGINT or SIGTERM.

options:
  --port N             listen port (default 8090; 0 = any free port)
  --host H             listen host (default 127.0.0.1)
  --seed N             seed of the simulated market (default 1)
  --fault SPEC         inject a fault (repeatable); SPEC is
                       ${FAULT_SYNTAX.split('\n').join('\n                       ')}
  --require-api-key K  answer 401 unless x-api-key is K

Runtime control: GET /__emulator/stats; PUT (replace) or POST (add) /__emulator/faults with a JSON
list of SPECs; DELETE /__emulator/faults clears them.`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  seed: { type: 'string' },
  fault: { type: 'string', multiple: true },
  'require-api-key': { type: 'string' },
} as const;

export interface JupiterEmulatorCommand {
  readonly port: number;
  readonly host: string;
  readonly seed: bigint;
  readonly faults: readonly Fault[];
  readonly requireApiKey: string | undefined;
}

const COMMAND = 'jupiter-emulator';

export function parseJupiterEmulatorArgs(argv: readonly string[]): JupiterEmulatorCommand {
  const { values: v, positionals } = parseCommandArgs(argv, OPTIONS, COMMAND);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, COMMAND);
  const seedText = v.seed ?? '1';
  if (!/^\d{1,20}$/.test(seedText)) throw new UsageError(`--seed: ${JSON.stringify(seedText)} must be a whole number`, COMMAND);
  const faults = (v.fault ?? []).map((f) => {
    try {
      return parseFault(f);
    } catch (e) {
      throw new UsageError(`--fault: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`, COMMAND);
    }
  });
  return {
    port: v.port === undefined ? 8090 : wholeNumber('--port', v.port, 0, 65_535, COMMAND),
    host: v.host ?? '127.0.0.1',
    seed: BigInt(seedText),
    faults,
    requireApiKey: v['require-api-key'],
  };
}

export async function runJupiterEmulator(cmd: JupiterEmulatorCommand, io: CliIo, untilSignal: () => Promise<string> = processSignals): Promise<number> {
  const emulator = await startJupiterEmulator({
    port: cmd.port,
    host: cmd.host,
    seed: cmd.seed,
    faults: cmd.faults,
    ...(cmd.requireApiKey !== undefined ? { requireApiKey: cmd.requireApiKey } : {}),
  });
  const faults = cmd.faults.length === 0 ? 'no faults' : `${cmd.faults.length} fault${cmd.faults.length === 1 ? '' : 's'}`;
  io.err(`pte: Jupiter emulator on ${emulator.url} (price: ${emulator.url}/price/v3, quote: ${emulator.url}/swap/v1/quote, ${faults})`);
  const signal = await untilSignal();
  io.err(`pte: ${signal} received, stopping`);
  await emulator.close();
  return 0;
}
