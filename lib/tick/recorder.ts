/**
 * Group commit of step outcomes. The first outcome is written at once; outcomes that arrive while
 * that write commits wait for it and then go together in one transaction, and so on. Nothing is
 * held back on purpose, so a quiet tick writes as before and a busy one commits far less often.
 * A fresh operation name (`started`) never joins a batch: it commits alone and at once, since
 * delaying it widens the window in which a crash makes the provider bill twice.
 */
import type { Applied, OutcomeToApply } from '../tasks/apply.js';

export interface RecorderWrites {
  /** One outcome in its own transaction (applyOutcome, with its retries). */
  one(item: OutcomeToApply): Promise<Applied>;
  /** Several plain outcomes in one transaction (applyOutcomes); results in the order given. */
  many(items: OutcomeToApply[]): Promise<Applied[]>;
}

interface Waiting {
  item: OutcomeToApply;
  resolve: (applied: Applied) => void;
  reject: (err: unknown) => void;
}

export class OutcomeRecorder {
  private readonly waiting: Waiting[] = [];
  private flushing = 0;

  constructor(
    private readonly writes: RecorderWrites,
    /** Most outcomes in one transaction, so one commit's locks stay short. */
    private readonly maxBatch = 100,
    /** Transactions writing at once; outcomes arriving while all are busy wait and go together. */
    private readonly maxFlushes = 1,
  ) {}

  record(item: OutcomeToApply): Promise<Applied> {
    if (item.outcome.type === 'started') return this.writes.one(item);
    return new Promise<Applied>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.flushing < this.maxFlushes) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing++;
    let flushed = false;
    try {
      for (;;) {
        // After a commit, the steps it released run before the next batch is cut (or this flush
        // ends), so the outcome each of them has at hand joins one batch rather than starting a
        // flush of its own (without this, batches alternate between one outcome and all the
        // others: twice the commits). One turn of the event loop, no timer: nothing waits for
        // anything that is not already due.
        if (flushed) await new Promise((resolve) => setImmediate(resolve));
        if (this.waiting.length === 0) break;
        flushed = true;
        const batch = this.waiting.splice(0, this.maxBatch);
        if (batch.length === 1) {
          const [only] = batch;
          await this.writes.one(only!.item).then(only!.resolve, only!.reject);
          continue;
        }
        try {
          const applied = await this.writes.many(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(applied[i]!));
        } catch {
          // One outcome the batch could not write must not cost the others theirs: each alone.
          await Promise.all(batch.map((w) => this.writes.one(w.item).then(w.resolve, w.reject)));
        }
      }
    } finally {
      this.flushing--;
    }
  }
}
