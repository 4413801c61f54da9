// @vitest-environment jsdom
import './helpers/dom.ts';
import { setTemplateSrv } from '@grafana/runtime';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';

import { VariableQueryEditor } from '../../src/datasource/components/VariableQueryEditor.tsx';
import { RarityDataSource } from '../../src/datasource/datasource.ts';
import type { RarityQuery, RarityVariableQuery } from '../../src/datasource/types.ts';
import { fakeResources, instanceSettings } from './helpers/fixtures.ts';
import { TestTemplateSrv } from './helpers/templateSrv.ts';

function setup(initial?: RarityVariableQuery) {
  const datasource = new RarityDataSource(instanceSettings());
  Object.assign(datasource, { resources: fakeResources() });
  const seen: RarityVariableQuery[] = [];
  function Harness() {
    const [query, setQuery] = useState(initial as RarityVariableQuery);
    return (
      <VariableQueryEditor
        datasource={datasource}
        query={query}
        onChange={(next) => {
          seen.push(next);
          setQuery(next);
        }}
        onRunQuery={() => {}}
      />
    );
  }
  render(<Harness />);
  return { last: () => seen[seen.length - 1] } as const;
}

describe('VariableQueryEditor', () => {
  beforeEach(() => setTemplateSrv(new TestTemplateSrv()));

  it('starts with "values of a field" and requires the field', () => {
    setup();
    expect(screen.getByRole('radio', { name: 'Values of a field' })).toBeChecked();
    expect(screen.getByText('Choose the field whose values the variable lists')).toBeInTheDocument();
  });

  it('saves the values form with table, field and search', async () => {
    const user = userEvent.setup();
    const { last } = setup({ refId: 'v', kind: 'values' });
    await user.click(screen.getByLabelText(/^Field \*/));
    await user.click(await screen.findByRole('option', { name: /^state/ }));
    await user.type(screen.getByLabelText(/^Containing/), '1');
    expect(last()).toEqual({ refId: 'v', kind: 'values', field: 'state', search: '1' });
  });

  it('switches to fields of a table and filters by role', async () => {
    const user = userEvent.setup();
    const { last } = setup({ refId: 'v', kind: 'values' });
    await user.click(screen.getByRole('radio', { name: 'Fields of a table' }));
    expect(last().kind).toBe('fields');
    await user.click(screen.getByLabelText(/^Fit for/));
    const roles = within(await screen.findByRole('listbox'))
      .getAllByRole('option')
      .map((o) => o.textContent ?? '');
    expect(roles.map((r) => r.split(/(categorical|entity)/)[0])).toEqual([
      'by field',
      'over field',
      'time column',
      'id column',
      'message column',
    ]);
    await user.click(screen.getByRole('option', { name: /^time column/ }));
    expect(last()).toMatchObject({ kind: 'fields', suits: 'time' });
  });

  it('lists tables without further inputs', async () => {
    const user = userEvent.setup();
    setup({ refId: 'v', kind: 'values' } as RarityVariableQuery);
    await user.click(screen.getByRole('radio', { name: 'Tables' }));
    expect(screen.queryByLabelText(/^Table$/)).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/^Field \*/)).not.toBeInTheDocument();
  });
});

// Type-level check that the editor fits CustomVariableSupport's editor slot.
export const editorType: import('react').ComponentType<
  import('@grafana/data').QueryEditorProps<
    RarityDataSource,
    RarityQuery,
    import('../../src/datasource/types.ts').RarityDataSourceOptions,
    RarityVariableQuery
  >
> = VariableQueryEditor;
