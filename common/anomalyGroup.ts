/**
 * An anomaly group: consecutive anomalous buckets of one entity, with the first and last log id behind them
 * (Cryptolens' Starting At / Ending At). The engine builds it with bigint ids; the front end reads it back
 * from the groups frame with the ids as text (an int64 may pass 2^53, and it is only ever shown).
 */
export interface AnomalyGroup<LogId = bigint> {
  id: string;
  entity: string;
  /** Start of the first anomalous bucket, epoch ms. */
  start: number;
  /** End of the last anomalous bucket (exclusive), epoch ms. */
  end: number;
  startingAt: LogId;
  endingAt: LogId;
  maxScore: number;
  requests: number;
  successful: number;
  unsuccessful: number;
  explanation: string;
  /** True while the entity's latest bucket is still anomalous (the group may grow). */
  open: boolean;
}
