/**
 * Every limit and default a query is held to, in one place: the query editor shows them, the backend enforces
 * them, the command line obeys them. Changing one here changes it everywhere.
 */

/** Bucket span when a query names none. */
export const DEFAULT_BUCKET_SPAN = '5m';
/** Buckets are whole seconds: PostgreSQL's date_bin and the engine's decay both work in seconds. */
export const MIN_BUCKET_SPAN_MS = 1000;
/**
 * PostgreSQL's interval tops out long before a billion days; a year is far beyond any useful span anyway
 * (at least MIN_LEARNING_BUCKETS buckets are needed before anything is scored).
 */
export const MAX_BUCKET_SPAN_MS = 365 * 86_400_000;
/** How the longest span is written in messages. */
export const MAX_BUCKET_SPAN_TEXT = '365d';

/**
 * More buckets than this in one detection (history included) is almost surely a mistake, e.g. 1 s buckets
 * over a year.
 */
export const MAX_BUCKETS = 1_000_000;

/** Elastic advises at least 20 learning buckets for rare modelling; nothing is scored before them. */
export const MIN_LEARNING_BUCKETS = 20;

/** Rows a records, groups, logs or annotations query returns when it names no limit, and at most. */
export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 100_000;

/** Structured filters one query may carry. */
export const MAX_FILTERS = 50;

/** Scores, and so minScore and the group threshold, run from 0 to 100. */
export const MIN_SCORE = 0;
export const MAX_SCORE = 100;

/** Values the editors ask the `values` resource for. */
export const DEFAULT_VALUES_LIMIT = 50;

/** Schema that keeps detection jobs and their results when the settings name none. */
export const DEFAULT_STATE_SCHEMA = 'rarity';
/** Days of persisted results and snapshots kept; older ones are deleted by the job runner. */
export const DEFAULT_RETENTION_DAYS = 90;
export const MIN_RETENTION_DAYS = 1;
/** Ten years: beyond that a retention is no retention, and the date arithmetic stays far from its limits. */
export const MAX_RETENTION_DAYS = 3650;

/**
 * Model memory one detector may hold (Elastic's model_memory_limit, whose default is 1 GB): past it new
 * entities, values and pairs are not modelled (memory status hard_limit) rather than the plugin running out
 * of memory. Half of Elastic's default, because several detections share the plugin's one process.
 */
export const DEFAULT_MODEL_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;
/**
 * The datasource's "Model memory limit (MB)" (jsonData.modelMemoryLimitMb), in whole MB of 1024 · 1024 bytes
 * as Elastic's "512mb". The default is DEFAULT_MODEL_MEMORY_LIMIT_BYTES; 64 GB is far beyond one process.
 */
export const DEFAULT_MODEL_MEMORY_LIMIT_MB = DEFAULT_MODEL_MEMORY_LIMIT_BYTES / (1024 * 1024);
export const MIN_MODEL_MEMORY_LIMIT_MB = 1;
export const MAX_MODEL_MEMORY_LIMIT_MB = 65_536;

/**
 * Detectors one job may hold. Each (detector, partition value) pair keeps its own model, so a job's cost grows
 * with detectors × partitions; Elastic sets no number, and beyond a few dozen a job is better split in two.
 */
export const MAX_JOB_DETECTORS = 32;
/** Influencer fields one job may name: every record computes an influence for each value of each of them. */
export const MAX_INFLUENCERS = 16;

/**
 * Detections of one datasource waiting for a turn (query/detectionQueue.ts): past them a query is refused as
 * busy at once rather than left to time out waiting for a pooled connection.
 */
export const DETECTION_QUEUE_LENGTH = 64;

/** Queries (refIds) one QueryData request may carry: Grafana sends one per panel query, so hundreds is a mistake. */
export const MAX_QUERIES_PER_REQUEST = 500;

/**
 * Encoded frames one refId may answer with (jsonData.maxResponseMb): past it that refId gets an error saying
 * how to narrow the query, and the others are still answered.
 */
export const DEFAULT_MAX_RESPONSE_MB = 16;
export const MIN_MAX_RESPONSE_MB = 1;
/** The whole response must fit one gRPC message (64 MiB) with room for the others' errors. */
export const MAX_MAX_RESPONSE_MB = 48;

/** Characters of a user's value repeated in an error message or a log line; the rest is cut. */
export const MAX_ECHO_CHARS = 200;
