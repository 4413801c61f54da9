/**
 * Chooses and prepares the frames the time series part draws: every frame with a time field and a number
 * field, except the groups frames (they have times and numbers too, but are drawn as spans). Series get the
 * line defaults Grafana's time series panel would give them.
 */
import { FieldColorModeId, FieldType, type DataFrame, type Field } from '@grafana/data';

export const LINE_DEFAULTS = {
  drawStyle: 'line',
  lineWidth: 1,
  lineInterpolation: 'linear',
  fillOpacity: 10,
  gradientMode: 'none',
  showPoints: 'auto',
  pointSize: 5,
  spanNulls: false,
  axisPlacement: 'auto',
  axisSoftMin: 0,
} as const;

function isGraphable(frame: DataFrame): boolean {
  return frame.fields.some((f) => f.type === FieldType.time) && frame.fields.some((f) => f.type === FieldType.number);
}

function lineField(field: Field, seriesIndex: number): Field {
  if (field.type !== FieldType.number) {
    return field;
  }
  const color = field.config.color;
  return {
    ...field,
    config: {
      ...field.config,
      // Our score frames colour by severity thresholds, which would paint every line in one band colour; the
      // spans carry the severity here, so lines take palette colours to stay apart.
      color: !color || color.mode === FieldColorModeId.Thresholds ? { mode: FieldColorModeId.PaletteClassic } : color,
      custom: { ...LINE_DEFAULTS, ...field.config.custom },
    },
    state: { ...field.state, seriesIndex },
  };
}

export function graphableFrames(series: readonly DataFrame[], exclude: readonly DataFrame[]): DataFrame[] {
  let seriesIndex = 0;
  return series
    .filter((frame) => !exclude.includes(frame) && isGraphable(frame))
    .map((frame) => ({
      ...frame,
      fields: frame.fields.map((f) => lineField(f, f.type === FieldType.number ? seriesIndex++ : seriesIndex)),
    }));
}
