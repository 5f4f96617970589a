export interface WriteCounts {
  inserted: number;
  updated: number;
}

/**
 * Buffers rows and writes them in batches as they arrive, one batch at a time, so memory stays bounded
 * whatever the universe and a crash loses at most the batch in flight. `afterWrite` receives the markers
 * added with the rows of a batch once that batch is stored (resumable backfill records windows there).
 */
export class BatchWriter<R, M = never> {
  inserted = 0;
  updated = 0;
  /** Rows handed to the database and stored (changed or not). */
  written = 0;
  batches = 0;
  private rows: R[] = [];
  private markers: M[] = [];
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** Batches handed to flush() and not yet stored. */
  private pending = 0;

  constructor(
    private readonly write: (rows: R[]) => Promise<WriteCounts>,
    private readonly batchSize: number,
    private readonly afterWrite?: (markers: M[]) => Promise<void>,
  ) {}

  get error(): unknown {
    return this.failure;
  }

  /**
   * Adds rows (and markers that become durable with them). Back-pressure: once a full batch is buffered,
   * the caller waits until no write is in flight and then writes it, so at most one batch is being written
   * while the next fills, and fetches cannot outrun the database (memory stays bounded).
   */
  async add(rows: readonly R[], markers: readonly M[] = []): Promise<void> {
    if (this.failure !== null) throw this.failure;
    for (const r of rows) this.rows.push(r);
    for (const m of markers) this.markers.push(m);
    while (this.rows.length >= this.batchSize) {
      if (this.pending === 0) {
        await this.flush();
        return;
      }
      await this.chain.catch(() => undefined);
      if (this.failure !== null) throw this.failure;
    }
  }

  /** Writes whatever is buffered; rethrows the first write failure. */
  flush(): Promise<void> {
    const rows = this.rows;
    const markers = this.markers;
    this.rows = [];
    this.markers = [];
    this.pending++;
    this.chain = this.chain.then(async () => {
      if (this.failure !== null) throw this.failure;
      if (rows.length === 0 && markers.length === 0) return;
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
        this.failure = error;
        throw error;
      } finally {
        this.pending--;
      }
    });
    return this.chain;
  }
}
