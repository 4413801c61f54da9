/**
 * The Rarity datasource behind the contract (contract.ts): QueryData per query type, CheckHealth and
 * CallResource. Every query goes through the one parse step (request.ts) and the detector definition
 * (definition.ts); frames are built by the pure functions in frames/. Job queries (several detectors) are
 * answered from their persisted job (jobs/jobAnswer.ts) when the instance has a state store, else run
 * in-process through jobRun.ts, saying why in a notice.
 */
import { truncateEcho } from '../../../common/echo.ts';
import { DEFAULT_RETENTION_DAYS } from '../../../common/limits.ts';
import { describeTable, StoreError } from '../store/index.ts';
import {
  headerValue,
  type DataQueryInput,
  type DatasourceInstance,
  type DataResponseOut,
  type DatasourceHandlers,
  type Frame,
  type Logger,
  type Notice,
  type RequestContext,
} from './contract.ts';
import { ResultCache } from './cache.ts';
import type { DetectionResult } from './detection.ts';
import { BusyError, queueFor, type DetectionQueue } from './detectionQueue.ts';
import { errorResponse } from './errors.ts';
import {
  jobAnnotationsFrame,
  jobGroupsFrame,
  jobInfluencersFrames,
  jobRecordsFrame,
  jobScoresFrames,
  jobSummary,
} from './frames/job.ts';
import { logsFrame } from './frames/logs.ts';
import { scoresFrames } from './frames/scores.ts';
import { annotationsFrame, groupsFrame, recordsFrame } from './frames/tables.ts';
import { checkHealth } from './health.ts';
import { IncrementalDetections } from './incremental.ts';
import { detectWithJob } from './jobs/results.ts';
import { JobRunner } from './jobs/runner.ts';
import { persistedJobWork } from './jobs/jobAdvance.ts';
import { answerPersistedJob } from './jobs/jobAnswer.ts';
import { jobLogs } from './jobLogs.ts';
import { runJob, type JobRunResult } from './jobRun.ts';
import { anomalousLogs } from './logs.ts';
import { memoryNotice } from './modelMemory.ts';
import { QueryError } from './queryError.ts';
import { parseDataQuery, type ParsedJobQuery, type ParsedQuery } from './request.ts';
import { callResource } from './resources.ts';
import { tableScope } from './tableScope.ts';

/** `X-Cache-Skip: true`, sent by alert evaluations and by Grafana for cache-bypassing requests. */
function skipsCache(headers: Record<string, string>): boolean {
  const value = headerValue(headers, 'X-Cache-Skip') ?? headerValue(headers, 'http_X-Cache-Skip') ?? '';
  return value.trim().toLowerCase() === 'true';
}

/** A job's result with what its frames must say about it. */
interface JobAnswer {
  result: JobRunResult;
  notices: Notice[];
}

/** A detection result with what the frames must say about it. */
interface Answer {
  result: DetectionResult;
  notices: Notice[];
  /** Start of the interim (still-filling) buckets in the result. */
  interimFrom: number | null;
}

/** Days of results and snapshots kept (jsonData.retentionDays, checked by parseStateSettings when the instance was made). */
function retentionDays(ctx: RequestContext): number {
  const days = (ctx.instance.settings.jsonData as { retentionDays?: unknown }).retentionDays;
  return typeof days === 'number' && days > 0 ? days : DEFAULT_RETENTION_DAYS;
}

/** Pool exhaustion met despite the queue (the background runner shares the pool) reads as the queue's refusal. */
function asBusy(err: unknown, queue: DetectionQueue): unknown {
  return err instanceof StoreError && err.kind === 'busy' ? new BusyError(queue.busyMessage()) : err;
}

export function createDatasource(options: { logger?: Logger } = {}): DatasourceHandlers {
  const queues = new WeakMap<DatasourceInstance, DetectionQueue>();
  /** One line per datasource instance, sized to its pool; a replaced instance's line goes with it. */
  function queueOf(ctx: RequestContext): DetectionQueue {
    const { instance } = ctx;
    let queue = queues.get(instance);
    if (!queue) {
      const { name, uid } = instance.settings;
      queue = queueFor(instance.pool.options?.max ?? 10, JSON.stringify(truncateEcho(name || uid)));
      queues.set(instance, queue);
    }
    return queue;
  }
  const cache = new ResultCache<Answer>();
  const jobCache = new ResultCache<JobAnswer>();
  const incremental = new IncrementalDetections();
  const runner = new JobRunner({ logger: options.logger });

  /** A persisted job when the instance has a state store; else today's in-process state, with the advice why. */
  async function compute(ctx: RequestContext, parsed: ParsedQuery, signal?: AbortSignal): Promise<Answer> {
    const { detector, window } = parsed;
    const { instance } = ctx;
    const state = instance.state ? await instance.state() : undefined;
    if (state?.persisted) {
      const answer = await detectWithJob(instance.pool, state.store, detector, window, {
        signal,
        fromAlert: ctx.fromAlert,
        includeInterim: parsed.query.includeInterim === true,
      });
      runner.touch(instance.key, instance.pool, state.store, detector, {
        unfinished: !answer.current,
        retentionDays: retentionDays(ctx),
        resume: answer.resume,
      });
      // The runner owns the model now; the answer may sit in the result cache for a few seconds.
      answer.resume = undefined;
      return answer;
    }
    const result = await incremental.detect(instance.pool, instance.key, detector, window, signal);
    const notices: Notice[] = state ? [{ severity: 'info', text: state.advice }] : [];
    return { result, notices, interimFrom: null };
  }

  function detect(ctx: RequestContext, parsed: ParsedQuery): Promise<Answer> {
    const { detector, window } = parsed;
    const run = (signal?: AbortSignal) => queueOf(ctx).run(() => compute(ctx, parsed, signal), signal);
    // Alert evaluations and anyone sending `X-Cache-Skip: true` (directly, or forwarded by Grafana as
    // `http_X-Cache-Skip`) get fresh data; dashboards may share a result for a few seconds. Either way
    // only buckets that are new since the last request are processed (incremental.ts).
    if (ctx.fromAlert || skipsCache(ctx.headers)) {
      return run(ctx.signal);
    }
    const interim = parsed.query.includeInterim === true;
    return cache.get(`${ctx.instance.key}|${JSON.stringify({ detector, window, interim })}`, run, ctx.signal);
  }

  /** A persisted job when the instance has a state store; else run in-process from the first row, saying why. */
  async function computeJob(ctx: RequestContext, parsed: ParsedJobQuery, signal?: AbortSignal): Promise<JobAnswer> {
    const { job, window } = parsed;
    const { instance } = ctx;
    const state = instance.state ? await instance.state() : undefined;
    if (state?.persisted) {
      const answer = await answerPersistedJob(instance.pool, state.store, job, window, { signal });
      runner.touchWork(
        instance.key,
        `job ${answer.key}`,
        state.store,
        persistedJobWork(instance.pool, state.store, job),
        {
          unfinished: !answer.current,
          retentionDays: retentionDays(ctx),
        },
      );
      return { result: answer.result, notices: answer.notices };
    }
    const result = await runJob(instance.pool, job, window, signal);
    const count = job.job.detectors.length;
    const why = state ? state.advice : 'results are not persisted: this datasource has no state store';
    const notices: Notice[] = [
      {
        severity: 'info',
        text: `job with ${count} detector${count === 1 ? '' : 's'} computed in the plugin from the first row; ${why}`,
      },
    ];
    return { result, notices };
  }

  function detectJob(ctx: RequestContext, parsed: ParsedJobQuery): Promise<JobAnswer> {
    const { job, window } = parsed;
    const run = (signal?: AbortSignal) => queueOf(ctx).run(() => computeJob(ctx, parsed, signal), signal);
    // As detect(): alerts and `X-Cache-Skip` get a fresh run, dashboards share one for a few seconds.
    if (ctx.fromAlert || skipsCache(ctx.headers)) {
      return run(ctx.signal);
    }
    return jobCache.get(`${ctx.instance.key}|job|${JSON.stringify({ job, window })}`, run, ctx.signal);
  }

  async function answerJob(ctx: RequestContext, q: DataQueryInput, parsed: ParsedJobQuery): Promise<Frame[]> {
    const started = Date.now();
    const { result, notices: answerNotices } = await detectJob(ctx, parsed);
    const memory = memoryNotice(result.memory);
    const notices = memory ? [...answerNotices, memory] : answerNotices;
    const options = { minScore: parsed.minScore, limit: parsed.limit };
    let frames: Frame[];
    switch (parsed.query.queryType) {
      case 'scores':
        frames = jobScoresFrames(result, q.refId, options);
        break;
      case 'records':
        frames = [jobRecordsFrame(result, q.refId, options)];
        break;
      case 'groups':
        frames = [jobGroupsFrame(result, q.refId, options)];
        break;
      case 'annotations':
        frames = [jobAnnotationsFrame(result, q.refId, options)];
        break;
      case 'influencers':
        frames = jobInfluencersFrames(result, q.refId, options);
        break;
      case 'logs': {
        const logs = await jobLogs(ctx.instance.pool, parsed.job, result, {
          ...options,
          window: parsed.window,
          messageColumn: ctx.instance.settings.jsonData.messageColumn,
        });
        frames = [logsFrame(logs.rows, q.refId, { timeColumn: logs.timeColumn, idColumn: logs.idColumn })];
        break;
      }
    }
    const stats = [
      { displayName: 'Buckets processed', value: result.stats.bucketsProcessed },
      ...(result.stats.models === null ? [] : [{ displayName: 'Models', value: result.stats.models }]),
      { displayName: 'Requests in range', value: result.buckets.reduce((n, b) => n + b.eventCount, 0) },
      { displayName: 'Detection time', value: Date.now() - started, unit: 'ms' },
    ];
    for (const f of frames) {
      f.meta = {
        ...f.meta,
        stats,
        custom: { ...(f.meta?.custom as object), job: jobSummary(result) },
        ...(notices.length > 0 ? { notices: [...(f.meta?.notices ?? []), ...notices] } : {}),
      };
    }
    return frames;
  }

  async function answer(ctx: RequestContext, q: DataQueryInput): Promise<DataResponseOut> {
    const started = Date.now();
    try {
      const parsed = parseDataQuery(q.json, q.queryType, q.timeRange, ctx.instance.settings.jsonData);
      // Refused before any detection reads it: a system catalogue, or a table outside the allowed schemas.
      const table = parsed.kind === 'job' ? parsed.job.table : parsed.detector.table;
      await describeTable(ctx.instance.pool, table, await tableScope(ctx.instance));
      if (parsed.kind === 'job') {
        const frames = await answerJob(ctx, q, parsed);
        ctx.logger.debug('job query answered', {
          refId: q.refId,
          queryType: parsed.query.queryType,
          detectors: parsed.job.job.detectors.length,
          ms: Date.now() - started,
        });
        return { frames };
      }
      const { result, notices: answerNotices, interimFrom } = await detect(ctx, parsed);
      const memory = memoryNotice(result.memory);
      const notices = memory ? [...answerNotices, memory] : answerNotices;
      const options = { minScore: parsed.minScore, limit: parsed.limit };
      let frames: Frame[];
      switch (parsed.query.queryType) {
        case 'scores':
          frames = scoresFrames(result, q.refId, options);
          break;
        case 'records':
          frames = [recordsFrame(result, q.refId, options)];
          break;
        case 'groups':
          frames = [groupsFrame(result, q.refId, options)];
          break;
        case 'annotations':
          frames = [annotationsFrame(result, q.refId, options)];
          break;
        case 'influencers':
          // validateQuery refuses these before they get here; kept for the exhaustive switch.
          throw new QueryError('queryType influencers needs a job with at least one influencer', 'queryType');
        case 'logs': {
          const rows = await anomalousLogs(ctx.instance.pool, result, {
            ...options,
            window: parsed.window,
            messageColumn: ctx.instance.settings.jsonData.messageColumn,
          });
          frames = [
            logsFrame(rows, q.refId, {
              timeColumn: result.definition.timeColumn.name,
              idColumn: result.definition.idColumn.name,
            }),
          ];
          break;
        }
      }
      const stats = [
        { displayName: 'Buckets processed', value: result.stats.bucketsProcessed },
        { displayName: 'Aggregate tuples', value: result.stats.tuples },
        { displayName: 'Requests in range', value: result.stats.rows },
        { displayName: 'Detection time', value: Date.now() - started, unit: 'ms' },
      ];
      const interim = interimFrom === null ? {} : { interimFrom: new Date(interimFrom).toISOString() };
      for (const f of frames) {
        f.meta = {
          ...f.meta,
          stats,
          custom: { ...(f.meta?.custom as object), detector: result.detector, ...interim },
          ...(notices.length > 0 ? { notices: [...(f.meta?.notices ?? []), ...notices] } : {}),
        };
      }
      ctx.logger.debug('query answered', {
        refId: q.refId,
        queryType: parsed.query.queryType,
        ms: Date.now() - started,
      });
      return { frames };
    } catch (caught) {
      const e = asBusy(caught, queueOf(ctx));
      const response = errorResponse(e);
      ctx.logger.warn('query failed', { refId: truncateEcho(q.refId), error: truncateEcho(response.error) });
      return response;
    }
  }

  return {
    async queryData(ctx, queries) {
      const answers = await Promise.all(queries.map(async (q) => [q.refId, await answer(ctx, q)] as const));
      return new Map(answers);
    },
    checkHealth: (ctx) => checkHealth(ctx),
    callResource: (ctx, req) => callResource(ctx, req),
    shutdown: (graceMs) => runner.stop(graceMs),
  };
}
