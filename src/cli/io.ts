/**
 * What a command needs from the outside world, passed in so commands stay testable without a
 * process, a terminal or a server.
 */
import { createExecutorClient, type ExecutorClient } from '../client/index.js';
import { isCallFailure, unreachableMessage, type CallFailure } from './errors.js';

export interface CliIo {
  /** Results: tables, JSON. */
  readonly out: (text: string) => void;
  /** Messages for the person: errors, the serve banner. */
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Opens a client to `addr`; replaced in tests. */
  readonly connect: (addr: string) => ExecutorClient;
}

/** How long a command waits for the executor to accept a connection before saying it is not there. */
export const CONNECT_TIMEOUT_MS = 2_000;
/** Deadline of one call: generous, since a Jupiter-priced trade may retry across endpoints. */
export const CALL_DEADLINE_MS = 15_000;

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    connect: (addr) => createExecutorClient(addr, { defaultDeadlineMs: CALL_DEADLINE_MS }),
  };
}

/** The executor could not be reached; main prints `message` and exits 2. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** A call failed with a gRPC status; carries the address for the message. */
export class CallError extends Error {
  override readonly name = 'CallError';
  readonly failure: CallFailure;
  readonly addr: string;

  constructor(failure: CallFailure, addr: string) {
    super(failure.details, { cause: failure });
    this.failure = failure;
    this.addr = addr;
  }
}

/** Connects, waits until the channel is ready, runs `fn`, and always closes the client. */
export async function withClient<T>(io: CliIo, addr: string, fn: (client: ExecutorClient) => Promise<T>): Promise<T> {
  const client = io.connect(addr);
  try {
    try {
      await client.waitForReady(CONNECT_TIMEOUT_MS);
    } catch {
      throw new UnreachableError(unreachableMessage(addr));
    }
    try {
      return await fn(client);
    } catch (e) {
      throw isCallFailure(e) ? new CallError(e, addr) : e;
    }
  } finally {
    client.close();
  }
}

/** JSON with two-space indentation; the wire messages hold no bigints (uint64 travels as strings). */
export const toJson = (value: unknown): string => JSON.stringify(value, null, 2);
