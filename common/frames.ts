/**
 * Names of the frames and fields the backend answers with and the front end reads back (panels, annotation
 * mapping). Renaming a field here renames it on both sides; a string literal elsewhere would silently drift.
 */

/** `name` of each frame; scores frames are named after their series instead. */
export const FRAME_NAMES = {
  bucketScores: 'bucket',
  records: 'records',
  groups: 'groups',
  logs: 'logs',
  annotations: 'annotations',
} as const;

/** `scores` (timeseries-multi): one frame per series, the series told apart by the score field's labels. */
export const SCORE_FIELDS = { time: 'time', score: 'score' } as const;
/** Label keys of the scores series: `{score="bucket"}` for the bucket score, `{by=…}` or `{over=…}` per entity. */
export const SCORE_LABELS = { bucket: 'score', by: 'by', over: 'over' } as const;
export const BUCKET_SCORE_LABEL_VALUE = 'bucket';

/** `records`: one row per anomalous record. */
export const RECORD_FIELDS = {
  time: 'time',
  score: 'score',
  severity: 'severity',
  probability: 'probability',
  by: 'by',
  over: 'over',
  typical: 'typical',
  actual: 'actual',
  count: 'count',
  explanation: 'explanation',
  groupId: 'groupId',
} as const;

/** `groups`: one row per anomaly group (consecutive anomalous buckets of one entity). */
export const GROUP_FIELDS = {
  id: 'groupId',
  entity: 'entity',
  start: 'start',
  end: 'end',
  startingAt: 'startingAt',
  endingAt: 'endingAt',
  maxScore: 'maxScore',
  severity: 'severity',
  requests: 'requests',
  successful: 'successful',
  unsuccessful: 'unsuccessful',
  explanation: 'explanation',
  open: 'open',
} as const;

/** `logs`: Grafana's log-lines frame. */
export const LOG_FIELDS = {
  timestamp: 'timestamp',
  body: 'body',
  severity: 'severity',
  id: 'id',
  labels: 'labels',
} as const;
/** Labels a log line carries besides its own columns: the success rule's verdict and its anomaly group. */
export const LOG_LABELS = {
  successful: 'successful',
  groupId: 'groupId',
  startingAt: 'startingAt',
  endingAt: 'endingAt',
  anomalyScore: 'anomalyScore',
  anomalySeverity: 'anomalySeverity',
} as const;

/** `annotations`: one region per anomaly group; the front end colours it from the score's severity. */
export const ANNOTATION_FIELDS = {
  time: 'time',
  timeEnd: 'timeEnd',
  title: 'title',
  text: 'text',
  tags: 'tags',
  score: 'score',
  id: 'id',
} as const;
