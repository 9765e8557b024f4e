import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isExecutorError } from '../domain/errors.js';
import { callSignal as realCallSignal, type CallSignal } from './call-signal.js';

/** The parts of a grpc-js server call callSignal uses. */
class FakeCall extends EventEmitter {
  cancelled = false;
  constructor(private readonly deadline: number = Infinity) {
    super();
  }
  getDeadline(): number {
    return this.deadline;
  }
  cancel(): void {
    this.cancelled = true;
    this.emit('cancelled');
  }
}

/** callSignal on the fake (grpc-js types `on` as returning the full call object). */
const callSignal = (call: FakeCall, deadline?: number): CallSignal => realCallSignal(call as unknown as Parameters<typeof realCallSignal>[0], deadline);

/** A call that ends without an abort, so its signal goes back for reuse; returns that signal. */
function finishedSignal(): AbortSignal {
  const { signal, dispose } = callSignal(new FakeCall());
  dispose();
  return signal;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('callSignal', () => {
  it('aborts with DEADLINE_EXCEEDED when the deadline passes, and with an AbortError when the client cancels', () => {
    vi.useFakeTimers();
    const timed = callSignal(new FakeCall(), Date.now() + 50);
    expect(timed.signal.aborted).toBe(false);
    vi.advanceTimersByTime(50);
    expect(isExecutorError(timed.signal.reason, 'DEADLINE_EXCEEDED')).toBe(true);

    const call = new FakeCall();
    const cancelled = callSignal(call);
    call.cancel();
    expect((cancelled.signal.reason as DOMException).name).toBe('AbortError');

    const gone = new FakeCall();
    gone.cancelled = true;
    expect(callSignal(gone).signal.aborted).toBe(true);
    expect(callSignal(new FakeCall(), Date.now() - 1).signal.aborted).toBe(true);
  });

  it('hands the signal of a call that ended unaborted to the next call, in the state of a new one', () => {
    const first = new FakeCall();
    const a = callSignal(first);
    a.dispose();
    const second = new FakeCall();
    const b = callSignal(second);
    expect(b.signal).toBe(a.signal);
    expect(b.signal.aborted).toBe(false);
    // The first call's client going away later is no concern of the second call.
    first.cancel();
    expect(b.signal.aborted).toBe(false);
    second.cancel();
    expect(b.signal.aborted).toBe(true);
    b.dispose();
  });

  it('never hands on an aborted signal, one with a listener left, or one signal to two calls', () => {
    const call = new FakeCall();
    const aborted = callSignal(call);
    call.cancel();
    aborted.dispose();
    expect(finishedSignal()).not.toBe(aborted.signal);

    const listened = callSignal(new FakeCall());
    listened.signal.addEventListener('abort', () => undefined);
    listened.dispose();
    expect(finishedSignal()).not.toBe(listened.signal);

    const twice = callSignal(new FakeCall());
    twice.dispose();
    twice.dispose();
    const x = callSignal(new FakeCall());
    const y = callSignal(new FakeCall());
    expect(x.signal).not.toBe(y.signal);
    x.dispose();
    y.dispose();
  });

  it('stops the deadline timer and the cancel listener on dispose', () => {
    vi.useFakeTimers();
    const call = new FakeCall();
    const { signal, dispose } = callSignal(call, Date.now() + 50);
    expect(call.listenerCount('cancelled')).toBe(1);
    dispose();
    expect(call.listenerCount('cancelled')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    expect(signal.aborted).toBe(false);
  });
});
