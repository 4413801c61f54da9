// @vitest-environment jsdom
import './helpers/dom.ts';
import { setTemplateSrv } from '@grafana/runtime';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { SUCCESSFUL_FIELD } from '../../common/jobModel.ts';
import { QueryEditor } from '../../src/datasource/components/QueryEditor.tsx';
import { RarityDataSource } from '../../src/datasource/datasource.ts';
import type { FieldInfo, RarityQuery } from '../../src/datasource/types.ts';
import { FIELDS, fakeResources, instanceSettings } from './helpers/fixtures.ts';
import { TestTemplateSrv } from './helpers/templateSrv.ts';

type User = ReturnType<typeof userEvent.setup>;

const categorical = (name: string): FieldInfo => ({
  name,
  type: 'text',
  suits: { time: false, id: false, by: true, over: true, message: true },
});

function setup(initial: Partial<RarityQuery> = {}, options: { fields?: FieldInfo[]; successRule?: boolean } = {}) {
  const datasource = new RarityDataSource(
    instanceSettings(options.successRule === false ? {} : { successRule: { field: 'state', op: '=', value: '1' } }),
  );
  const resources = fakeResources();
  if (options.fields) {
    resources.fields = vi.fn(async () => options.fields!);
  }
  Object.assign(datasource, { resources });
  const onRunQuery = vi.fn();
  const changes: RarityQuery[] = [];
  function Harness() {
    const [query, setQuery] = useState<RarityQuery>({
      refId: 'A',
      queryType: 'records',
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
  return { onRunQuery, changes, last: () => changes[changes.length - 1] };
}

async function choose(user: User, label: string | RegExp, option: RegExp) {
  await user.click(screen.getByLabelText(label));
  await user.click(await screen.findByRole('option', { name: option }));
}

async function paste(user: User, text: string) {
  await user.click(screen.getByRole('button', { name: /Paste Elastic job JSON/ }));
  const area = await screen.findByLabelText('Elastic job JSON');
  await user.click(area);
  await user.paste(text);
  await user.click(screen.getByRole('button', { name: 'Apply' }));
}

const jobQuery = (detectors: RarityQuery['detectors'], more: Partial<RarityQuery> = {}): Partial<RarityQuery> => ({
  detectors,
  ...more,
});

// Elastic's security module job, verbatim (the body of PUT _ml/anomaly_detectors/rare_process_by_host_linux).
const LINUX_RARE_PROCESS = `{
  "job_id": "rare_process_by_host_linux",
  "description": "Security: Linux - looks for processes that are unusual to a particular host",
  "groups": ["security", "linux", "process"],
  "analysis_config": {
    "bucket_span": "15m",
    "detectors": [
      {
        "detector_description": "rare process executions on Linux",
        "function": "rare",
        "by_field_name": "process.name",
        "partition_field_name": "host.name",
        "detector_index": 0
      },
      { "function": "freq_rare", "by_field_name": "process.name", "over_field_name": "user.name" }
    ],
    "influencers": ["host.name", "process.name", "user.name"]
  },
  "analysis_limits": { "model_memory_limit": "256mb", "categorization_examples_limit": 4 },
  "data_description": { "time_field": "@timestamp", "time_format": "epoch_ms" },
  "custom_settings": { "created_by": "ml-module-security-linux", "rarity": { "group_field": "user.name" } }
}`;

describe('QueryEditor in job mode', () => {
  beforeEach(() => setTemplateSrv(new TestTemplateSrv({ host: 'ip' })));

  it('carries the single detector into a job and back', async () => {
    const user = userEvent.setup();
    const { last } = setup({ function: 'freq_rare', byField: 'state', overField: 'ip' });
    await user.click(screen.getByRole('radio', { name: 'Job (several detectors)' }));
    expect(last().detectors).toEqual([{ function: 'freq_rare', byField: 'state', overField: 'ip' }]);
    expect(screen.queryByLabelText(/^By field/)).not.toBeInTheDocument();
    expect(screen.getByLabelText('Detector 1 by field')).toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'Single detector' }));
    expect(last()).not.toHaveProperty('detectors');
    expect(last()).toMatchObject({ function: 'freq_rare', byField: 'state', overField: 'ip' });
    expect(screen.getByLabelText(/^By field/)).toBeInTheDocument();
  });

  it('adds a detector, sets its fields and partition, and removes one', async () => {
    const user = userEvent.setup();
    const { last, onRunQuery } = setup(jobQuery([{ function: 'rare', byField: 'state' }]));
    await waitFor(() => expect(screen.getByLabelText('Detector 1 by field')).not.toBeDisabled());
    // The only detector cannot be removed: a job without detectors would be a single-detector query.
    expect(screen.getByRole('button', { name: /^Remove detector 1/ })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: /Add detector/ }));
    expect(last().detectors).toEqual([
      { function: 'rare', byField: 'state' },
      { function: 'rare', byField: '' },
    ]);
    expect(screen.getByText(/detectors\[1\]: rare needs a by field/)).toBeInTheDocument();
    expect(onRunQuery).not.toHaveBeenCalled();

    await choose(user, 'Detector 2 by field', /^ip/);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await choose(user, 'Detector 2 partition field', /^state/);
    expect(last().detectors![1]).toEqual({ function: 'rare', byField: 'ip', partitionField: 'state' });
    // The description's placeholder is Elastic's default, following the fields.
    expect(screen.getByLabelText('Detector 2 description')).toHaveAttribute(
      'placeholder',
      'rare by ip partitionfield=state',
    );

    await user.click(screen.getByRole('button', { name: 'Remove detector 1' }));
    expect(last().detectors).toEqual([{ function: 'rare', byField: 'ip', partitionField: 'state' }]);
    expect(screen.getAllByRole('row')).toHaveLength(2); // the header and one detector
  });

  it('offers the derived successful field next to the table fields', async () => {
    const user = userEvent.setup();
    setup(jobQuery([{ function: 'rare', byField: 'state' }]));
    await waitFor(() => expect(screen.getByLabelText('Detector 1 by field')).not.toBeDisabled());
    await user.click(screen.getByLabelText('Detector 1 by field'));
    const options = within(await screen.findByRole('listbox'))
      .getAllByRole('option')
      .map((o) => o.textContent ?? '');
    expect(options.some((o) => o.startsWith(SUCCESSFUL_FIELD))).toBe(true);
    expect(options.some((o) => o.startsWith('ip'))).toBe(true);
    expect(options.some((o) => o.startsWith('latency'))).toBe(false);
    await user.keyboard('{Escape}');
  });

  it('shows each detector’s problem next to its input and does not run the query', async () => {
    const user = userEvent.setup();
    const { onRunQuery } = setup(
      jobQuery(
        [
          { function: 'rare', byField: 'state', partitionField: 'ip' },
          { function: 'freq_rare', byField: 'state' },
          { function: 'rare', byField: 'ip', partitionField: 'ip' },
        ],
        { influencers: ['ip'], groupField: 'id' },
      ),
    );
    const row = (n: number) => screen.getByRole('row', { name: `Detector ${n}` });
    expect(within(row(2)).getByText(/^detectors\[1\]: freq_rare needs an over field/)).toBeInTheDocument();
    expect(
      within(row(3)).getByText(/detectors\[2\]: the partition field "ip" is the same as the by field/),
    ).toBeInTheDocument();
    expect(within(row(1)).queryByText(/detectors/)).not.toBeInTheDocument();
    expect(
      screen.getByText(/Group field "id" is none of the job's by, over, partition or influencer fields/),
    ).toBeInTheDocument();

    await choose(user, 'Detector 2 over field', /^ip/);
    expect(screen.queryByText(/freq_rare needs an over field/)).not.toBeInTheDocument();
    // Still invalid (detector 3, group field): not run.
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('fills detectors, influencers, group field and bucket span from a verbatim Elastic job, warning of what is not kept', async () => {
    const user = userEvent.setup();
    const { last } = setup({
      ...jobQuery([{ function: 'rare', byField: 'state' }]),
      filters: [{ field: 'ip', op: '=', value: 'x' }],
    });
    await paste(user, LINUX_RARE_PROCESS);

    await waitFor(() => expect(screen.queryByLabelText('Elastic job JSON')).not.toBeInTheDocument());
    expect(last()).toMatchObject({
      refId: 'A',
      queryType: 'records',
      filters: [{ field: 'ip', op: '=', value: 'x' }],
      bucketSpan: '15m',
      detectors: [
        {
          function: 'rare',
          byField: '"process.name"',
          partitionField: '"host.name"',
          description: 'rare process executions on Linux',
        },
        // Elastic's default description is not kept, so it follows later edits.
        { function: 'freq_rare', byField: '"process.name"', overField: '"user.name"' },
      ],
      influencers: ['"host.name"', '"process.name"', '"user.name"'],
      groupField: '"user.name"',
    });
    expect(last().detectors![1]).not.toHaveProperty('description');
    expect(screen.getByLabelText('Detector 1 description')).toHaveValue('rare process executions on Linux');
    expect(screen.getByText(/Applied "rare_process_by_host_linux"; not everything in it is used/)).toBeInTheDocument();
    expect(screen.getByText(/data_description.time_field "@timestamp" is not kept/)).toBeInTheDocument();
    expect(screen.getByText(/model_memory_limit \(256 MiB\) is not kept/)).toBeInTheDocument();
  });

  it('refuses a job with a high_count detector, naming that detector and its JSON path, and applies nothing', async () => {
    const user = userEvent.setup();
    const { changes } = setup(jobQuery([{ function: 'rare', byField: 'state' }]));
    const job = {
      analysis_config: {
        bucket_span: '1h',
        detectors: [
          { function: 'rare', by_field_name: 'ip' },
          { function: 'high_count', by_field_name: 'key', detector_description: 'Many requests per key' },
        ],
        influencers: ['ip'],
      },
    };
    const before = changes.length;
    await paste(user, JSON.stringify(job, null, 2));

    const problems = await screen.findByTestId('elastic-job-problems');
    expect(problems).toHaveTextContent(
      'analysis_config.detectors[1].function: detector 2 ("Many requests per key"): function "high_count" is not supported; Rarity runs rare and freq_rare',
    );
    expect(screen.getByText('The job has a problem; nothing was applied')).toBeInTheDocument();
    expect(changes.length).toBe(before);
    // The modal stays open with the text, to be corrected.
    expect(screen.getByLabelText('Elastic job JSON')).toHaveValue(JSON.stringify(job, null, 2));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByLabelText('Detector 1 by field')).toHaveValue('state');
  });

  it('builds the Cryptolens preset over the table’s own column names: 7 detectors grouped per key', async () => {
    const user = userEvent.setup();
    const fields = [...FIELDS, ...['license_key', 'MachineCode', 'Product', 'country'].map(categorical)];
    const { last, onRunQuery } = setup(jobQuery([{ function: 'rare', byField: 'state' }]), { fields });
    await waitFor(() => expect(screen.getByLabelText('Detector 1 by field')).not.toBeDisabled());
    await user.click(screen.getByRole('button', { name: /Cryptolens preset/ }));

    const q = last();
    expect(q.detectors).toHaveLength(7);
    expect(q.detectors!.map((d) => [d.function, d.byField, d.overField ?? d.partitionField])).toEqual([
      ['rare', 'state', 'license_key'],
      ['rare', 'MachineCode', 'license_key'],
      ['rare', 'ip', 'license_key'],
      ['rare', 'country', 'license_key'],
      ['rare', 'Product', 'license_key'],
      ['freq_rare', 'state', 'ip'],
      ['freq_rare', SUCCESSFUL_FIELD, 'license_key'],
    ]);
    expect(q).toMatchObject({
      influencers: ['license_key', 'ip', 'MachineCode'],
      groupField: 'license_key',
      bucketSpan: '1h',
    });
    expect(screen.getAllByRole('row', { name: /^Detector \d$/ })).toHaveLength(7);
    expect(screen.getByLabelText('Detector 7 description')).toHaveValue('Key with many unsuccessful requests');
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('leaves the successful detector out of the preset when the datasource has no success rule, and uses the demo names it cannot match', async () => {
    const user = userEvent.setup();
    const { last } = setup(jobQuery([{ function: 'rare', byField: 'state' }]), { successRule: false });
    await waitFor(() => expect(screen.getByLabelText('Detector 1 by field')).not.toBeDisabled());
    await user.click(screen.getByRole('button', { name: /Cryptolens preset/ }));
    expect(last().detectors).toHaveLength(6);
    expect(last().detectors!.some((d) => d.byField === SUCCESSFUL_FIELD)).toBe(false);
    expect(last().influencers).toEqual(['key', 'ip', 'machine_code']);
  });

  it('keeps influencers distinct and within the job’s fields for the group field', async () => {
    const user = userEvent.setup();
    const { last } = setup(jobQuery([{ function: 'rare', byField: 'state', partitionField: 'ip' }]));
    // The query type's radio "Influencers" has the same label; the field is the combobox.
    const influencers = () => screen.getByRole('combobox', { name: /^Influencers/ });
    await waitFor(() => expect(influencers()).not.toBeDisabled());
    await user.click(influencers());
    await user.click(await screen.findByRole('option', { name: /^id/ }));
    await user.keyboard('{Escape}');
    expect(last().influencers).toEqual(['id']);
    expect(screen.getByLabelText(/^Group field/)).toHaveAttribute('placeholder', 'default: id (first influencer)');
    await choose(user, /^Group field/, /^ip/);
    expect(last().groupField).toBe('ip');
    expect(screen.queryByText(/Group field .* is none of/)).not.toBeInTheDocument();
  });
});
