/**
 * An AbortSignal for one server call: aborted when the client cancels (or goes away) or when the
 * call's deadline passes. The executor takes it and abandons work not yet booked, so a trade the
 * client has given up on is not booked behind its back.
 */
import { getEventListeners } from 'node:events';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { ExecutorError } from '../domain/errors.js';

/** setTimeout's upper bound; a deadline further away than this (~24.8 days) is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CallSignal {
  readonly signal: AbortSignal;
  /**
   * Stops the deadline timer and the cancel listener; call when the handler is done with the signal
   * (the executor has settled): the signal may then be handed to a later call.
   */
  readonly dispose: () => void;
}

/**
 * Controllers of finished calls whose signal never aborted and has no listener left, handed to later
 * calls instead of new ones: creating an AbortSignal (an EventTarget with its listener maps) costs
 * Node 20 about 2.5 µs and 1.5 KB, a visible share of a trade's handling. Such a signal is in the
 * state of a new one; an aborted signal is never reused. Bounded by the calls ever in flight at once.
 */
const spare: AbortController[] = [];
const MAX_SPARE = 1024;

function deadlineMs(call: Pick<ServerUnaryCall<unknown, unknown>, 'getDeadline'>): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : d;
}

/** `deadline`: ms since the epoch (Infinity for none); default: the call's own. */
export function callSignal(call: Pick<ServerUnaryCall<unknown, unknown>, 'getDeadline' | 'cancelled' | 'on' | 'off'>, deadline: number = deadlineMs(call)): CallSignal {
  const controller = spare.pop() ?? new AbortController();
  const onCancelled = (): void => {
    // The client is gone and will never read a status; the reason only matters to logs.
    controller.abort(new DOMException('the client cancelled the call', 'AbortError'));
  };
  let timer: NodeJS.Timeout | undefined;
  if (call.cancelled) {
    onCancelled();
  } else {
    call.on('cancelled', onCancelled);
    const remaining = deadline - Date.now();
    if (Number.isFinite(remaining) && remaining < MAX_TIMER_MS) {
      const onDeadline = (): void => {
        controller.abort(new ExecutorError('DEADLINE_EXCEEDED', 'the deadline passed before the answer; the trade may still be booked: retry with the same request_id'));
      };
      if (remaining <= 0) onDeadline();
      else {
        timer = setTimeout(onDeadline, remaining);
        timer.unref();
      }
    }
  }
  let disposed = false;
  return {
    signal: controller.signal,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      call.off('cancelled', onCancelled);
      const { signal } = controller;
      if (!signal.aborted && spare.length < MAX_SPARE && getEventListeners(signal, 'abort').length === 0) spare.push(controller);
    },
  };
}
