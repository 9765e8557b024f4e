/**
 * The default deadline: a call that names none gets `defaultMs` from its arrival, so work for a
 * client that vanished without cancelling (a crashed strategy, a half-open connection) is abandoned
 * like any other expired call instead of holding an in-flight slot for ever.
 */
import type { ServerUnaryCall } from '@grpc/grpc-js';

type DeadlineCall = Pick<ServerUnaryCall<unknown, unknown>, 'getDeadline' | 'cancelled' | 'on' | 'off'>;

function deadlineMs(call: DeadlineCall): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : d;
}

/** The call as callSignal sees it, with the earlier of its own deadline and arrival + defaultMs. */
export function withDefaultDeadline(call: DeadlineCall, defaultMs: number | undefined, arrivedAt = Date.now()): DeadlineCall {
  if (defaultMs === undefined) return call;
  const own = deadlineMs(call);
  if (Number.isFinite(own)) return call;
  const effective = arrivedAt + defaultMs;
  return {
    getDeadline: () => effective,
    get cancelled() {
      return call.cancelled;
    },
    on: call.on.bind(call),
    off: call.off.bind(call),
  };
}
