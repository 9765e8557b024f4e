/**
 * The recorder's write-behind queue (trades and marks): a ring buffer of fixed capacity, so memory is bounded by
 * construction and every operation on the trade path (push, drop the oldest) is O(1).
 */
export interface RingQueue<T> {
  readonly length: number;
  readonly capacity: number;
  /** Appends at the tail. The caller makes room first (shift); pushing into a full queue throws. */
  push(item: T): void;
  /** Removes and returns the oldest item. */
  shift(): T | undefined;
  /** The oldest item, left in place. */
  peek(): T | undefined;
  /** Removes up to n items from the head, oldest first. */
  take(n: number): T[];
  /** Every item, oldest first, left in place (O(n): for the report at shutdown, never the trade path). */
  toArray(): T[];
  /** Puts items back at the head (a batch that failed to send), keeping their order. Throws when they do not fit. */
  unshiftAll(items: readonly T[]): void;
}

export function createRingQueue<T>(capacity: number): RingQueue<T> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, not ${capacity}`);
  const slots: (T | undefined)[] = new Array<T | undefined>(capacity);
  let head = 0;
  let length = 0;
  const shift = (): T | undefined => {
    if (length === 0) return undefined;
    const item = slots[head];
    slots[head] = undefined; // let the trade be collected
    head = (head + 1) % capacity;
    length--;
    return item;
  };
  return {
    get length() {
      return length;
    },
    capacity,
    push(item) {
      if (length === capacity) throw new RangeError('queue is full');
      slots[(head + length) % capacity] = item;
      length++;
    },
    shift,
    peek: () => (length === 0 ? undefined : slots[head]),
    take(n) {
      const out: T[] = [];
      while (out.length < n && length > 0) out.push(shift() as T);
      return out;
    },
    toArray() {
      const out: T[] = [];
      for (let i = 0; i < length; i++) out.push(slots[(head + i) % capacity] as T);
      return out;
    },
    unshiftAll(items) {
      if (length + items.length > capacity) throw new RangeError('queue is full');
      for (let i = items.length - 1; i >= 0; i--) {
        head = (head - 1 + capacity) % capacity;
        slots[head] = items[i];
        length++;
      }
    },
  };
}
