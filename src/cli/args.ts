/**
 * Argument parsing shared by the commands: node:util parseArgs with strict options, plus the checks
 * that turn flag text into typed values. Everything here is pure and throws UsageError, which main
 * turns into exit code 64 with the command's usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The command line is wrong (sysexits EX_USAGE); `command` selects the usage text to show. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

export const DEFAULT_ADDR = '127.0.0.1:50051';

/** The executor address: --addr, else PTE_ADDR, else the default local port. */
export function resolveAddr(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const addr = flag ?? (env.PTE_ADDR !== undefined && env.PTE_ADDR !== '' ? env.PTE_ADDR : DEFAULT_ADDR);
  if (!/^[^\s/]+:\d{1,5}$/.test(addr) && !addr.startsWith('unix:')) {
    throw new UsageError(`--addr: ${JSON.stringify(addr)} is not host:port`);
  }
  return addr;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<O extends Options> = { args: string[]; options: O; strict: true; allowPositionals: true };
export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<StrictConfig<O>>>;

/** parseArgs with strict options and positionals; its errors become UsageErrors for `command`. */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, command: string): ParsedArgs<O> {
  try {
    const config: StrictConfig<O> = { args: [...argv], options, strict: true, allowPositionals: true };
    return parseArgs(config);
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e);
    throw new UsageError(message, command);
  }
}

/** A whole number flag within [min, max]. */
export function wholeNumber(flag: string, text: string, min: number, max: number, command: string): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag}: ${JSON.stringify(text)} must be a whole number from ${min} to ${max}`, command);
  }
  return Number(text);
}

/** "k=v" -> [k, v]; the key must be non-empty. */
export function keyValue(flag: string, text: string, command: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`${flag}: ${JSON.stringify(text)} must be KEY=VALUE`, command);
  return [text.slice(0, i), text.slice(i + 1)];
}

/** A model parameter's value: numbers and booleans typed, anything else kept as text. */
export function paramValue(text: string): number | boolean | string {
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/** At most one positional (an optional portfolio id). */
export function optionalId(positionals: readonly string[], command: string): string {
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, command);
  return positionals[0] ?? '';
}
