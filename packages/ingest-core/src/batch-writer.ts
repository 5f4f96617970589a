/** Rows a write inserted and rows it updated (an upsert of an existing key counts as updated). */
export interface WriteCounts {
  inserted: number;
  updated: number;
}

/** Batches written at once by default: two keep the database busy while the client prepares the next. */
export const DEFAULT_WRITES_IN_FLIGHT = 2;

/**
 * Buffers rows and writes them in batches as they arrive, so memory stays bounded whatever the universe and
 * a crash loses at most the batches in flight. Up to `maxInFlight` batches are written at once (each its own
 * transaction on its own connection; the writers order rows by key, so concurrent batches cannot deadlock);
 * a producer that fills a batch while that many are being written waits: fetches cannot outrun the database.
 * `afterWrite` receives the markers added with the rows of a batch once that batch is stored (resumable
 * backfill records windows there).
 */
export class BatchWriter<R, M = never> {
  inserted = 0;
  updated = 0;
  /** Rows handed to the database and stored (changed or not). */
  written = 0;
  batches = 0;
  private rows: R[] = [];
  private markers: M[] = [];
  private failure: unknown = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly write: (rows: R[]) => Promise<WriteCounts>,
    private readonly batchSize: number,
    private readonly afterWrite?: (markers: M[]) => Promise<void>,
    private readonly maxInFlight = DEFAULT_WRITES_IN_FLIGHT,
  ) {}

  get error(): unknown {
    return this.failure;
  }

  /**
   * Adds rows (and markers that become durable with them). The producer that fills a batch writes it and
   * waits for it; when `maxInFlight` batches are already being written it first waits for one to finish.
   */
  async add(rows: readonly R[], markers: readonly M[] = []): Promise<void> {
    if (this.failure !== null) throw this.failure;
    for (const r of rows) this.rows.push(r);
    for (const m of markers) this.markers.push(m);
    while (this.rows.length >= this.batchSize) {
      if (this.inFlight.size < this.maxInFlight) {
        await this.startBatch();
        return;
      }
      await Promise.race(this.inFlight).catch(() => undefined);
      if (this.failure !== null) throw this.failure;
    }
  }

  /** Writes whatever is buffered and waits for every batch in flight; rethrows the first write failure. */
  async flush(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.rows.length > 0 || this.markers.length > 0) {
      while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight).catch(() => undefined);
      void this.startBatch().catch(() => undefined);
    }
    await Promise.allSettled([...this.inFlight]);
    if (this.failure !== null) throw this.failure;
  }

  private startBatch(): Promise<void> {
    const rows = this.rows;
    const markers = this.markers;
    this.rows = [];
    this.markers = [];
    const batch = (async () => {
      if (this.failure !== null) throw this.failure;
      try {
        if (rows.length > 0) {
          const r = await this.write(rows);
          this.inserted += r.inserted;
          this.updated += r.updated;
          this.written += rows.length;
          this.batches++;
        }
        if (markers.length > 0 && this.afterWrite) await this.afterWrite(markers);
      } catch (error) {
        if (this.failure === null) this.failure = error;
        throw this.failure;
      }
    })();
    const tracked = batch.finally(() => this.inFlight.delete(tracked));
    // The set holds a handled copy: a failure is reported through `failure`, never as an unhandled rejection.
    tracked.catch(() => undefined);
    this.inFlight.add(tracked);
    return batch;
  }
}
