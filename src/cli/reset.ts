/** `pte reset [ID] [--balance SYMBOL=AMOUNT ...]`: starts a portfolio over. */
import { keyValue, optionalId, parseCommandArgs, resolveAddr, UsageError } from './args.js';
import { formatPortfolio } from './format.js';
import { toJson, withClient, type CliIo } from './io.js';

export const RESET_USAGE = `usage: pte reset [ID] [--balance SYMBOL=AMOUNT ...] [--json] [--addr HOST:PORT]

Resets a portfolio (default: "default"): its trades are forgotten and its balances set to the
--balance values (symbol or mint), or to the configured starting balances when none is given.
  pte reset
  pte reset alice --balance SOL=10 --balance USDC=2500`;

const OPTIONS = {
  balance: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  addr: { type: 'string' },
} as const;

export interface ResetCommand {
  readonly portfolioId: string;
  /** Empty: the configured starting balances. */
  readonly balances: Readonly<Record<string, string>>;
  readonly json: boolean;
  readonly addr: string;
}

export function parseResetArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ResetCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'reset');
  const balances: Record<string, string> = {};
  for (const text of values.balance ?? []) {
    const [token, amount] = keyValue('--balance', text, 'reset');
    if (token in balances) throw new UsageError(`--balance: ${token} is given twice`, 'reset');
    balances[token] = amount;
  }
  return { portfolioId: optionalId(positionals, 'reset'), balances, json: values.json === true, addr: resolveAddr(values.addr, env) };
}

export async function runReset(cmd: ResetCommand, io: CliIo): Promise<number> {
  const summary = await withClient(io, cmd.addr, (client) => client.resetPortfolio(cmd.portfolioId, cmd.balances));
  io.out(cmd.json ? toJson(summary) : `reset.\n${formatPortfolio(summary)}`);
  return 0;
}
