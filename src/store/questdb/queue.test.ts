import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRingQueue } from './queue.js';

describe('createRingQueue', () => {
  it('keeps FIFO order across wrap-around', () => {
    const q = createRingQueue<number>(3);
    q.push(1);
    q.push(2);
    expect(q.shift()).toBe(1);
    q.push(3);
    q.push(4);
    expect(q.take(10)).toEqual([2, 3, 4]);
    expect(q.length).toBe(0);
  });

  it('puts a failed batch back at the head in its order', () => {
    const q = createRingQueue<number>(5);
    for (const x of [1, 2, 3, 4]) q.push(x);
    const batch = q.take(2);
    q.push(5);
    q.unshiftAll(batch);
    expect(q.take(5)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses to grow past its capacity', () => {
    const q = createRingQueue<number>(2);
    q.push(1);
    q.push(2);
    expect(() => q.push(3)).toThrow(RangeError);
    expect(() => q.unshiftAll([0])).toThrow(RangeError);
  });

  it('behaves like an array model under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), v: fc.integer() }),
      fc.record({ kind: fc.constant('take' as const), n: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('requeue' as const), n: fc.integer({ min: 0, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 60 }), (cap, ops) => {
        const q = createRingQueue<number>(cap);
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            if (model.length === cap) expect(q.shift()).toBe(model.shift());
            q.push(o.v);
            model.push(o.v);
          } else if (o.kind === 'take') {
            expect(q.take(o.n)).toEqual(model.splice(0, o.n));
          } else {
            const b = q.take(o.n);
            q.unshiftAll(b);
          }
          expect(q.length).toBe(model.length);
          expect(q.peek()).toBe(model[0]);
          expect(q.toArray()).toEqual(model);
        }
      }),
    );
  });
});
