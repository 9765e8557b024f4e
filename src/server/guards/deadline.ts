/**
 * The default deadline: a call that names none gets `defaultMs` from its arrival, so work for a
 * client that vanished without cancelling (a crashed strategy, a half-open connection) is abandoned
 * like any other expired call instead of holding an in-flight slot for ever.
 */
import type { ServerUnaryCall } from '@grpc/grpc-js';

type DeadlineCall = Pick<ServerUnaryCall<unknown, unknown>, 'getDeadline'>;

function deadlineMs(call: DeadlineCall): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : d;
}

/**
 * The call's deadline (ms since the epoch, Infinity for none), or arrival + defaultMs when it names
 * none: what callSignal arms its timer with. The number alone, so the hot path wraps no call object.
 */
export function effectiveDeadlineMs(call: DeadlineCall, defaultMs: number | undefined, arrivedAt = Date.now()): number {
  const own = deadlineMs(call);
  return defaultMs === undefined || Number.isFinite(own) ? own : arrivedAt + defaultMs;
}
