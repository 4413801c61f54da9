/**
 * Short-lived sharing of detection results: a dashboard asks for scores, groups and logs of the same detector
 * at once, and panels refresh together; one detection serves them all. Entries expire after a few seconds,
 * so new data is never hidden for long, and at most a handful are kept.
 */
export class ResultCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 32,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const t = this.now();
    for (const [k, e] of this.entries) {
      if (t - e.at > this.ttlMs) {
        this.entries.delete(k);
      }
    }
    const hit = this.entries.get(key);
    if (hit) {
      return hit.value;
    }
    const value = compute();
    this.entries.set(key, { at: t, value });
    // A failure is not worth remembering: the next call retries.
    value.catch(() => this.entries.delete(key));
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return value;
  }
}
