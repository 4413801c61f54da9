/**
 * The Rarity datasource in the browser. Queries, health and resources all go to the backend
 * (DataSourceWithBackend → /api/ds/query, CheckHealth, CallResource); this class only interpolates template
 * variables, drops queries that cannot run, lists variable values and maps annotation frames.
 */
import {
  CoreApp,
  type AnnotationQuery,
  type DataFrame,
  type DataQueryRequest,
  type DataSourceInstanceSettings,
  type MetricFindValue,
  type ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';
import { of } from 'rxjs';

import { framesToAnnotationEvents } from './annotations.ts';
import { createResources, fieldsThatSuit, type RarityResources } from './resources.ts';
import {
  DEFAULT_QUERY,
  containsTemplateVariable,
  type FilterOp,
  type QueryDetector,
  type QueryFilter,
  type RarityDataSourceOptions,
  type RarityQuery,
  type RarityVariableQuery,
} from './types.ts';
import { missingFields } from '../../common/validateQuery.ts';
import { toVariableQuery } from './variableQuery.ts';
import { RarityVariableSupport } from './variableSupport.ts';

/** Multi-value variables in a list filter expand to "a,b,c", the form the backend splits. */
const LIST_OPS: readonly FilterOp[] = ['in', 'not in'];

/**
 * Joins a multi-value variable's values with a separator no field name can hold (the backend refuses control
 * characters in names), so expandInfluencers can split them apart again whatever the names contain.
 */
const VALUE_SEPARATOR = '\u001f';
const joinValues = (value: unknown): string =>
  Array.isArray(value) ? value.map(String).join(VALUE_SEPARATOR) : String(value ?? '');

type Replace = (text: string | undefined) => string | undefined;

/** A job's detector as the single detector's fields are: each field one value (a multi-value variable as Grafana formats it). */
function interpolateDetector(detector: QueryDetector, replace: Replace): QueryDetector {
  const next: QueryDetector = { ...detector, byField: replace(detector.byField) ?? '' };
  // As the single detector's function: a dashboard may switch rare / freq_rare; the backend validates it.
  if (detector.function !== undefined) {
    next.function = replace(detector.function) as QueryDetector['function'];
  }
  for (const key of ['overField', 'partitionField', 'description'] as const) {
    if (detector[key] !== undefined) {
      next[key] = replace(detector[key]);
    }
  }
  return next;
}

/**
 * Influencers are a list, so a multi-value variable (`$fields` = key, ip) becomes one influencer per value, in
 * order. A field a variable adds that the list already names is kept once, where it first appears (a variable
 * offering every field would otherwise repeat the ones named beside it); a field named twice without a
 * variable stays twice, for the backend to refuse. An empty selection adds none.
 */
function expandInfluencers(influencers: readonly string[], replace: (text: string) => string): string[] {
  const entries = influencers.flatMap((influencer) =>
    typeof influencer === 'string' && containsTemplateVariable(influencer)
      ? replace(influencer)
          .split(VALUE_SEPARATOR)
          .filter((value) => value.trim() !== '')
          .map((value) => ({ value, fromVariable: true }))
      : [{ value: influencer, fromVariable: false }],
  );
  return entries
    .filter(
      (entry, i) =>
        !entries.some(
          (earlier, j) => j < i && earlier.value === entry.value && (earlier.fromVariable || entry.fromVariable),
        ),
    )
    .map((entry) => entry.value);
}

export class RarityDataSource extends DataSourceWithBackend<RarityQuery, RarityDataSourceOptions> {
  readonly defaultTable: string | undefined;
  /** Whether the derived `successful` field means anything: without a success rule every row is successful. */
  readonly hasSuccessRule: boolean;
  readonly resources: RarityResources;

  constructor(instanceSettings: DataSourceInstanceSettings<RarityDataSourceOptions>) {
    super(instanceSettings);
    this.defaultTable = instanceSettings.jsonData?.table;
    this.hasSuccessRule = instanceSettings.jsonData?.successRule !== undefined;
    this.resources = createResources(this);
    this.variables = new RarityVariableSupport(this);
    this.annotations = {
      // Any saved query becomes an `annotations` query: its frames carry time, timeEnd, text, tags, score.
      prepareQuery: (annotation: AnnotationQuery<RarityQuery>) => {
        const target = annotation.target;
        if (!target || !target.byField) {
          return undefined;
        }
        return { ...DEFAULT_QUERY, ...target, refId: target.refId || 'Anno', queryType: 'annotations' } as RarityQuery;
      },
      processEvents: (_annotation: AnnotationQuery<RarityQuery>, frames: DataFrame[]) =>
        of(framesToAnnotationEvents(frames)),
    };
  }

  override getDefaultQuery(app: CoreApp): Partial<RarityQuery> {
    // Explore is where people read logs; alert rules need the numeric scores frames.
    if (app === CoreApp.Explore) {
      return { ...DEFAULT_QUERY, queryType: 'logs' };
    }
    return DEFAULT_QUERY;
  }

  /** Incomplete queries are not sent; anything else is, so a mistake comes back as the backend's error. */
  override filterQuery(query: RarityQuery): boolean {
    return !query.hide && missingFields(query).length === 0;
  }

  override applyTemplateVariables(query: RarityQuery, scopedVars: ScopedVars): RarityQuery {
    const templateSrv = getTemplateSrv();
    const replace = (text: string | undefined, format?: string) =>
      text === undefined ? undefined : templateSrv.replace(text, scopedVars, format);
    const interpolated: RarityQuery = { ...query, byField: replace(query.byField) ?? '' };
    // Dashboards switch between rare and freq_rare with a variable; the backend validates the result.
    if (query.function !== undefined) {
      interpolated.function = replace(query.function) as RarityQuery['function'];
    }
    if (query.table !== undefined) {
      interpolated.table = replace(query.table);
    }
    if (query.overField !== undefined) {
      interpolated.overField = replace(query.overField);
    }
    if (query.bucketSpan !== undefined) {
      interpolated.bucketSpan = replace(query.bucketSpan);
    }
    if (query.detectors) {
      interpolated.detectors = query.detectors.map((detector) => interpolateDetector(detector, replace));
    }
    if (query.influencers) {
      interpolated.influencers = expandInfluencers(query.influencers, (text) =>
        templateSrv.replace(text, scopedVars, joinValues),
      );
    }
    if (query.groupField !== undefined) {
      interpolated.groupField = replace(query.groupField);
    }
    if (query.filters) {
      interpolated.filters = query.filters.map((filter): QueryFilter => {
        const next: QueryFilter = { ...filter, field: replace(filter.field) ?? '' };
        if (filter.value !== undefined) {
          next.value = replace(filter.value, LIST_OPS.includes(filter.op) ? 'csv' : undefined);
        }
        return next;
      });
    }
    return interpolated;
  }

  /** Values for query variables; see variableQuery.ts for the forms. */
  override async metricFindQuery(
    query: RarityVariableQuery | string,
    options?: Partial<DataQueryRequest> & { scopedVars?: ScopedVars },
  ): Promise<MetricFindValue[]> {
    const model = toVariableQuery(query);
    const templateSrv = getTemplateSrv();
    const replace = (text: string | undefined) => (text ? templateSrv.replace(text, options?.scopedVars) : undefined);
    const table = replace(model.table) || undefined;
    switch (model.kind) {
      case 'tables': {
        const tables = await this.resources.tables();
        return tables.map((info) => ({ text: info.qualified, value: info.qualified }));
      }
      case 'fields': {
        const fields = fieldsThatSuit(await this.resources.fields(table), model.suits);
        return fields.map((field) => ({ text: field.name, value: field.name }));
      }
      case 'values': {
        const field = replace(model.field);
        if (!field) {
          return [];
        }
        const values = await this.resources.values(table, field, replace(model.search) ?? '');
        return values.map((entry) => ({ text: entry.value, value: entry.value }));
      }
      default:
        throw new Error(`variable query kind ${JSON.stringify((model as { kind: unknown }).kind)} is not known`);
    }
  }
}
