import { afterEach } from 'vitest';
import { createQuestDbRecorder, type QuestDbRecorder, type QuestDbRecorderOptions } from '../../src/store/questdb/recorder.js';
import { startQuestDbReceiver, type QuestDbReceiver } from '../fakes/questdb-receiver.js';

/** A recorder log that drops every line. */
export const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface QuestDbHarness {
  /** Starts a local line-protocol receiver, closed after the test. */
  readonly startReceiver: () => Promise<QuestDbReceiver>;
  /** A recorder writing to `r` with short client timeouts, so a stalled or closed receiver fails a flush quickly; closed after the test. */
  readonly start: (r: QuestDbReceiver, patch?: Partial<QuestDbRecorderOptions>) => QuestDbRecorder;
}

/** The receiver and recorder of one test, closed after it (the recorder first). Call at the top of a test file. */
export function questDbHarness(): QuestDbHarness {
  let receiver: QuestDbReceiver | undefined;
  let recorder: QuestDbRecorder | undefined;
  afterEach(async () => {
    await recorder?.close(0);
    await receiver?.close();
    recorder = undefined;
    receiver = undefined;
  });
  return {
    startReceiver: async () => {
      receiver = await startQuestDbReceiver();
      return receiver;
    },
    start: (r, patch = {}) => {
      recorder = createQuestDbRecorder({
        conf: `${r.conf}request_timeout=500;retry_timeout=800;`,
        queueCap: 10_000,
        flushRows: 100,
        flushIntervalMs: 50,
        backoffMinMs: 50,
        backoffMaxMs: 400,
        log: quiet,
        ...patch,
      });
      return recorder;
    },
  };
}
