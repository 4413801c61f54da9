import { PanelPlugin } from '@grafana/data';

import { DEFAULT_SEVERITY_COLOURS, SEVERITY_LABELS, SEVERITY_ORDER } from '../common/severity.ts';
import { LogsPanel } from './LogsPanel.tsx';
import { DEFAULT_LOGS_OPTIONS as DEFAULTS, type LogsOptions } from './types.ts';

export const plugin = new PanelPlugin<LogsOptions>(LogsPanel).setPanelOptions((builder) => {
  builder
    .addBooleanSwitch({
      path: 'onlyAnomalous',
      name: 'Only anomalous entries',
      description: 'Initial state of the switch',
      defaultValue: DEFAULTS.onlyAnomalous,
    })
    .addRadio({
      path: 'order',
      name: 'Order',
      defaultValue: DEFAULTS.order,
      settings: {
        options: [
          { value: 'asc', label: 'Oldest first' },
          { value: 'desc', label: 'Newest first' },
        ],
      },
    })
    .addTextInput({
      path: 'groupVariable',
      name: 'Group variable',
      description: 'Dashboard variable with a group id to filter to (the spans panel sets it on click)',
      defaultValue: DEFAULTS.groupVariable,
    });
  for (const name of [...SEVERITY_ORDER].reverse()) {
    builder.addColorPicker({
      path: `colours.${name}`,
      name: `${SEVERITY_LABELS[name]} colour`,
      defaultValue: DEFAULT_SEVERITY_COLOURS[name],
      category: ['Severity colours'],
    });
  }
});
