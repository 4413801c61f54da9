import { FieldConfigProperty, PanelPlugin } from '@grafana/data';
import { commonOptionsBuilder } from '@grafana/ui';

import { DEFAULT_SEVERITY_COLOURS, SEVERITY_LABELS, SEVERITY_ORDER } from '../common/severity.ts';
import { SpansPanel } from './SpansPanel.tsx';
import { DEFAULT_SPANS_OPTIONS as DEFAULTS, type SpansOptions } from './types.ts';

export const plugin = new PanelPlugin<SpansOptions>(SpansPanel)
  .useFieldConfig({
    standardOptions: {
      [FieldConfigProperty.Min]: { defaultValue: 0 },
      [FieldConfigProperty.Max]: { defaultValue: 100 },
    },
  })
  .setPanelOptions((builder) => {
    const category = ['Anomaly groups'];
    builder
      .addTextInput({
        path: 'groupsRefId',
        name: 'Groups query',
        description:
          'refId of the query returning the groups frame (queryType groups). Empty: any frame shaped like groups.',
        defaultValue: DEFAULTS.groupsRefId,
        category,
      })
      .addSelect({
        path: 'minSeverity',
        name: 'Minimum severity',
        description: 'Groups below this Kibana band are not drawn',
        defaultValue: DEFAULTS.minSeverity,
        settings: { options: [...SEVERITY_ORDER].reverse().map((value) => ({ value, label: SEVERITY_LABELS[value] })) },
        category,
      })
      .addSliderInput({
        path: 'fillOpacity',
        name: 'Span opacity',
        defaultValue: DEFAULTS.fillOpacity,
        settings: { min: 0.05, max: 1, step: 0.05 },
        category,
      })
      .addTextInput({
        path: 'groupVariable',
        name: 'Group variable',
        description: 'Dashboard variable set to the group id when a span is clicked (the logs panel filters by it)',
        defaultValue: DEFAULTS.groupVariable,
        category,
      });
    for (const name of [...SEVERITY_ORDER].reverse()) {
      builder.addColorPicker({
        path: `colours.${name}`,
        name: `${SEVERITY_LABELS[name]} colour`,
        defaultValue: DEFAULT_SEVERITY_COLOURS[name],
        category: ['Severity colours'],
      });
    }
    commonOptionsBuilder.addTooltipOptions(builder);
    commonOptionsBuilder.addLegendOptions(builder);
  });
