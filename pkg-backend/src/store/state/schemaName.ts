/**
 * The state schema's name comes from the datasource settings, so it is parsed as strictly as a table name
 * and folded the way PostgreSQL folds an unquoted name: `Rarity` and `rarity` address the same schema.
 */
import { DEFAULT_STATE_SCHEMA } from '../../../../common/limits.ts';
import { StoreError } from '../errors.ts';
import { parseColumnName, quoteIdent } from '../identifiers.ts';

export { DEFAULT_STATE_SCHEMA };

export interface StateSchema {
  /** The name as PostgreSQL stores it in pg_namespace. */
  name: string;
  /** Quoted for SQL. */
  sql: string;
}

export function parseStateSchema(text: string = DEFAULT_STATE_SCHEMA): StateSchema {
  const parsed = parseColumnName(text, 'state schema');
  const name = parsed.quoted ? parsed.name : parsed.name.toLowerCase();
  // PostgreSQL refuses to create pg_* schemas; saying so here beats its error at the first query.
  if (name.startsWith('pg_') || name === 'information_schema') {
    throw new StoreError(
      'invalid_identifier',
      `state schema "${text}" is reserved for PostgreSQL's own catalogues; choose another name such as ${DEFAULT_STATE_SCHEMA}`,
      { field: 'stateSchema', value: text },
    );
  }
  return { name, sql: quoteIdent(name) };
}

/** Every table of the state schema, quoted and qualified. */
export interface StateTables {
  migrations: string;
  jobs: string;
  snapshots: string;
  buckets: string;
  records: string;
  groups: string;
  /** Records of jobs with several detectors (detector index, partition, influencers). */
  jobRecords: string;
  influencers: string;
}

export function stateTables(schema: StateSchema): StateTables {
  const q = (table: string) => `${schema.sql}.${quoteIdent(table)}`;
  return {
    migrations: q('schema_migrations'),
    jobs: q('jobs'),
    snapshots: q('model_snapshots'),
    buckets: q('bucket_results'),
    records: q('record_results'),
    groups: q('group_results'),
    jobRecords: q('job_record_results'),
    influencers: q('influencer_results'),
  };
}
