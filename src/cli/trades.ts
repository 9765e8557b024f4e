/** `pte trades [ID]`: the most recent trades of a portfolio, newest first. */
import { CONNECTION_OPTIONS, CONNECTION_USAGE, optionalId, parseCommandArgs, resolveConnection, wholeNumber, type ClientConnection } from './args.js';
import { formatTrades } from './format.js';
import { toJson, withClient, type CliIo } from './io.js';

export const TRADES_USAGE = `usage: pte trades [ID] [--limit N] [--page-token T] [--json] [connection options]

Lists a portfolio's trades (default portfolio: "default"), newest first, filled and failed alike.
  --limit N        how many (1-1000; default 20)
  --page-token T   continue from a previous listing

${CONNECTION_USAGE}`;

const OPTIONS = {
  limit: { type: 'string' },
  'page-token': { type: 'string' },
  json: { type: 'boolean' },
  ...CONNECTION_OPTIONS,
} as const;

export interface TradesCommand {
  readonly portfolioId: string;
  readonly limit: number;
  readonly pageToken: string;
  readonly json: boolean;
  readonly addr: string;
  readonly connection: ClientConnection;
}

export function parseTradesArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): TradesCommand {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'trades');
  const connection = resolveConnection(values, env, 'trades');
  return {
    portfolioId: optionalId(positionals, 'trades'),
    limit: values.limit === undefined ? 20 : wholeNumber('--limit', values.limit, 1, 1_000, 'trades'),
    pageToken: values['page-token'] ?? '',
    json: values.json === true,
    addr: connection.addr,
    connection,
  };
}

export async function runTrades(cmd: TradesCommand, io: CliIo): Promise<number> {
  const page = await withClient(io, cmd.connection, (client) =>
    client.listTrades({ portfolioId: cmd.portfolioId, limit: cmd.limit, pageToken: cmd.pageToken }),
  );
  if (cmd.json) {
    io.out(toJson(page));
    return 0;
  }
  io.out(formatTrades(page.trades));
  if (page.nextPageToken !== '') {
    const id = cmd.portfolioId === '' ? '' : ` ${cmd.portfolioId}`;
    io.out(`\nmore: pte trades${id} --limit ${cmd.limit} --page-token ${page.nextPageToken}`);
  }
  return 0;
}
