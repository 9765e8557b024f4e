/** `pte reset [ID] [--balance SYMBOL=AMOUNT ...]`: starts a portfolio over. */
import { CONNECTION_OPTIONS, CONNECTION_USAGE, keyValue, optionalId, parseCommandArgs, resolveConnection, UsageError, type ClientConnection } from './args.js';
import { formatPortfolio } from './format.js';
import { toJson, withClient, type CliIo } from './io.js';

export const RESET_USAGE = `usage: pte reset [ID] [--balance SYMBOL=AMOUNT ...] [--json] [connection options]

Resets a portfolio (default: "default"): its trades are forgotten and its balances set to the
--balance values (symbol or mint), or to the configured starting balances when none is given.
  pte reset
  pte reset alice --balance SOL=10 --balance USDC=2500

${CONNECTION_USAGE}`;

const OPTIONS = {
  balance: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} as const;

export interface ResetCommand {
  readonly portfolioId: string;
  /** Empty: the configured starting balances. */
  readonly balances: Readonly<Record<string, string>>;
  readonly json: boolean;
  readonly addr: string;
  readonly connection: ClientConnection;
}

export function parseResetArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ResetCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'reset');
  const balances: Record<string, string> = {};
  for (const text of values.balance ?? []) {
    const [token, amount] = keyValue('--balance', text, 'reset');
    if (token in balances) throw new UsageError(`--balance: ${token} is given twice`, 'reset');
    balances[token] = amount;
  }
  const connection = resolveConnection(values, env, 'reset');
  return { portfolioId: optionalId(positionals, 'reset'), balances, json: values.json === true, addr: connection.addr, connection };
}

export async function runReset(cmd: ResetCommand, io: CliIo): Promise<number> {
  const summary = await withClient(io, cmd.connection, (client) => client.resetPortfolio(cmd.portfolioId, cmd.balances));
  io.out(cmd.json ? toJson(summary) : `reset.\n${formatPortfolio(summary)}`);
  return 0;
}
