/**
 * Query variables through Grafana's CustomVariableSupport (the non-deprecated route): the editor is ours and
 * the values come from metricFindQuery, which reads the backend's resources.
 */
import { CustomVariableSupport, type DataQueryRequest, type DataQueryResponse } from '@grafana/data';
import { from, map, type Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor.tsx';
import type { RarityDataSource } from './datasource.ts';
import type { RarityVariableQuery } from './types.ts';

export class RarityVariableSupport extends CustomVariableSupport<RarityDataSource, RarityVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: RarityDataSource) {
    super();
  }

  query(request: DataQueryRequest<RarityVariableQuery>): Observable<DataQueryResponse> {
    const [target] = request.targets;
    return from(this.datasource.metricFindQuery(target, { scopedVars: request.scopedVars })).pipe(
      map((values) => ({ data: values })),
    );
  }
}
