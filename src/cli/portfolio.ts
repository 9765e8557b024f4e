/** `pte portfolio [ID]`: balances, value, PnL, trade count and fees of one portfolio. */
import { optionalId, parseCommandArgs, resolveAddr } from './args.js';
import { formatPortfolio } from './format.js';
import { toJson, withClient, type CliIo } from './io.js';

export const PORTFOLIO_USAGE = `usage: pte portfolio [ID] [--json] [--addr HOST:PORT]

Shows a portfolio (default: "default"): each balance with its USD value and average cost, the total
value, realized and unrealized PnL, the number of trades and the network fees paid.`;

const OPTIONS = { json: { type: 'boolean' }, addr: { type: 'string' } } as const;

export interface PortfolioCommand {
  readonly portfolioId: string;
  readonly json: boolean;
  readonly addr: string;
}

export function parsePortfolioArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): PortfolioCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'portfolio');
  return { portfolioId: optionalId(positionals, 'portfolio'), json: values.json === true, addr: resolveAddr(values.addr, env) };
}

export async function runPortfolio(cmd: PortfolioCommand, io: CliIo): Promise<number> {
  const summary = await withClient(io, cmd.addr, (client) => client.getPortfolio(cmd.portfolioId));
  io.out(cmd.json ? toJson(summary) : formatPortfolio(summary));
  return 0;
}
