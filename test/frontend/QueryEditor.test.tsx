// @vitest-environment jsdom
import './helpers/dom.ts';
import { setTemplateSrv } from '@grafana/runtime';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { QueryEditor } from '../../src/datasource/components/QueryEditor.tsx';
import { RarityDataSource } from '../../src/datasource/datasource.ts';
import type { RarityQuery } from '../../src/datasource/types.ts';
import { fakeResources, instanceSettings } from './helpers/fixtures.ts';
import { TestTemplateSrv } from './helpers/templateSrv.ts';

function setup(initial: Partial<RarityQuery> = {}) {
  const datasource = new RarityDataSource(instanceSettings());
  const resources = fakeResources();
  Object.assign(datasource, { resources });
  const onRunQuery = vi.fn();
  const changes: RarityQuery[] = [];
  function Harness() {
    const [query, setQuery] = useState<RarityQuery>({
      refId: 'A',
      queryType: 'scores',
      function: 'rare',
      byField: '',
      ...initial,
    });
    return (
      <QueryEditor
        datasource={datasource}
        query={query}
        onChange={(next) => {
          changes.push(next);
          setQuery(next);
        }}
        onRunQuery={onRunQuery}
      />
    );
  }
  render(<Harness />);
  return { datasource, resources, onRunQuery, changes, last: () => changes[changes.length - 1] };
}

async function openOptions(user: ReturnType<typeof userEvent.setup>, label: RegExp) {
  await user.click(screen.getByLabelText(label));
  const listbox = await screen.findByRole('listbox');
  return within(listbox)
    .getAllByRole('option')
    .map((option) => option.textContent ?? '');
}

describe('QueryEditor', () => {
  beforeEach(() => setTemplateSrv(new TestTemplateSrv({ host: 'ip' })));

  it('explains the chosen function in one line', async () => {
    const user = userEvent.setup();
    setup();
    expect(screen.getByTestId('function-explanation')).toHaveTextContent(/rare in time/);
    await user.click(screen.getByRole('radio', { name: 'freq_rare' }));
    expect(screen.getByTestId('function-explanation')).toHaveTextContent(/frequently use values which are rare/);
  });

  it('marks the over field required and shows the error once freq_rare is chosen', async () => {
    const user = userEvent.setup();
    const { last, onRunQuery } = setup({ byField: 'state' });
    expect(screen.getByText('Over field')).toBeInTheDocument();
    expect(screen.queryByText(/Over field is required/)).not.toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'freq_rare' }));

    expect(last().function).toBe('freq_rare');
    expect(screen.getByText('Over field *')).toBeInTheDocument();
    expect(screen.getByText(/Over field is required for freq_rare/)).toBeInTheDocument();
    // An invalid query is not run.
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('offers only fields whose suits fit each picker, plus template variables', async () => {
    const user = userEvent.setup();
    setup();
    await waitFor(() => expect(screen.getByLabelText(/^By field/)).not.toBeDisabled());

    const byOptions = await openOptions(user, /^By field/);
    expect(byOptions.some((o) => o.startsWith('state'))).toBe(true);
    expect(byOptions.some((o) => o.startsWith('ip'))).toBe(true);
    expect(byOptions.some((o) => o.startsWith('ts'))).toBe(false);
    expect(byOptions.some((o) => o.startsWith('latency'))).toBe(false);
    expect(byOptions.some((o) => o.startsWith('payload'))).toBe(false);
    expect(byOptions.some((o) => o.startsWith('$host'))).toBe(true);
    await user.keyboard('{Escape}');
  });

  it('runs the query once a by field is picked, and shows the learning period of the bucket span', async () => {
    const user = userEvent.setup();
    const { last, onRunQuery } = setup();
    expect(screen.getByText(/By field is required/)).toBeInTheDocument();
    expect(screen.getByText(/first 20 buckets \(1h 40m\)/)).toBeInTheDocument();

    await user.click(screen.getByLabelText(/^By field/));
    await user.click(await screen.findByRole('option', { name: /^state/ }));

    expect(last().byField).toBe('state');
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.queryByText(/By field is required/)).not.toBeInTheDocument();
  });

  it('shows a bad bucket span inline and accepts a template variable there', async () => {
    const user = userEvent.setup();
    setup({ byField: 'state' });
    const span = screen.getByLabelText(/^Bucket span/);
    await user.type(span, '5 minutes');
    expect(screen.getByText(/is not a duration/)).toBeInTheDocument();
    await user.clear(span);
    await user.type(span, '$span');
    expect(screen.queryByText(/is not a duration/)).not.toBeInTheDocument();
  });

  it('builds a structured filter with values from the values resource', async () => {
    const user = userEvent.setup();
    const { last, resources } = setup({ byField: 'state' });
    await user.click(screen.getByRole('button', { name: /Add filter/ }));
    expect(last().filters).toEqual([{ field: '', op: '=' }]);
    expect(screen.getByText(/Filter 1: choose a field/)).toBeInTheDocument();

    await user.click(screen.getByLabelText('Filter 1 field'));
    await user.click(await screen.findByRole('option', { name: /^state/ }));
    await user.click(screen.getByLabelText('Filter 1 value'));
    await user.click(await screen.findByRole('option', { name: /^0/ }));

    expect(last().filters).toEqual([{ field: 'state', op: '=', value: '0' }]);
    expect(resources.calls).toContainEqual(['values', undefined, 'state', '']);

    await user.click(screen.getByRole('button', { name: /Remove filter 1/ }));
    expect(last().filters).toEqual([]);
  });

  it('is reachable by keyboard: Tab moves through the query type radios into the pickers', async () => {
    const user = userEvent.setup();
    setup();
    await user.tab();
    expect(screen.getByRole('radio', { name: 'Scores' })).toHaveFocus();
    // Arrow keys move within a radio group, Tab leaves it.
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('radio', { name: 'Records' })).toBeChecked();
  });
});
