/** `pte portfolio [ID]`: balances, value, PnL, trade count and fees of one portfolio. */
import { CONNECTION_OPTIONS, CONNECTION_USAGE, optionalId, parseCommandArgs, resolveConnection, type ClientConnection } from './args.js';
import { formatPortfolio } from './format.js';
import { toJson, withClient, type CliIo } from './io.js';

export const PORTFOLIO_USAGE = `usage: pte portfolio [ID] [--json] [connection options]

Shows a portfolio (default: "default"): each balance with its USD value and average cost, the total
value, realized and unrealized PnL, the number of trades and the network fees paid.

${CONNECTION_USAGE}`;

const OPTIONS = { json: { type: 'boolean' }, ...CONNECTION_OPTIONS } as const;

export interface PortfolioCommand {
  readonly portfolioId: string;
  readonly json: boolean;
  readonly addr: string;
  readonly connection: ClientConnection;
}

export function parsePortfolioArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): PortfolioCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'portfolio');
  const connection = resolveConnection(values, env, 'portfolio');
  return { portfolioId: optionalId(positionals, 'portfolio'), json: values.json === true, addr: connection.addr, connection };
}

export async function runPortfolio(cmd: PortfolioCommand, io: CliIo): Promise<number> {
  const summary = await withClient(io, cmd.connection, (client) => client.getPortfolio(cmd.portfolioId));
  io.out(cmd.json ? toJson(summary) : formatPortfolio(summary));
  return 0;
}
