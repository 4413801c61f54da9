/**
 * The fields a job editor offers: the table's fields that suit the role, the derived `successful` field, then
 * template variables; and the table's columns the Cryptolens preset is built over.
 */
import { measureText, type ComboboxOption } from '@grafana/ui';

import { referenceOfElasticField } from '../../../../common/fieldName.ts';
import { SUCCESSFUL_FIELD } from '../../../../common/jobModel.ts';
import { CRYPTOLENS_COLUMNS, type CryptolensColumns } from '../../../../common/presets.ts';
import type { FieldInfo, FieldRole } from '../../../../common/resources.ts';
import { fieldOptions, variableOptions } from '../fieldOptions.ts';

export function jobFieldOptions(
  fields: readonly FieldInfo[] | undefined,
  role: FieldRole,
  hasSuccessRule: boolean,
): Array<ComboboxOption<string>> {
  const successful: ComboboxOption<string> = {
    value: SUCCESSFUL_FIELD,
    label: SUCCESSFUL_FIELD,
    description: hasSuccessRule
      ? 'derived from the success rule'
      : 'derived from the success rule; none is set, so every row is successful',
  };
  return [...fieldOptions(fields, role), successful, ...variableOptions()];
}

/** Other names a Cryptolens-like table gives each column, compared without case and separators. */
const ALIASES: Record<keyof CryptolensColumns, string[]> = {
  key: ['key', 'licensekey', 'license'],
  ip: ['ip', 'ipaddress', 'clientip', 'remoteip'],
  machineCode: ['machinecode', 'machine', 'machineid'],
  state: ['state', 'status'],
  product: ['product', 'productid'],
  country: ['country', 'countrycode'],
};

const plain = (name: string) => name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/**
 * The preset's columns as the table names them: for each role the first field spelt like one of its names
 * ("MachineCode", "machine_code", "Machine Code"), as a reference a query can hold; the demo table's name when
 * the table has none (or while its fields are not known).
 */
export function cryptolensColumnsOf(fields: readonly FieldInfo[] | undefined): CryptolensColumns {
  const columns = { ...CRYPTOLENS_COLUMNS };
  for (const role of Object.keys(ALIASES) as Array<keyof CryptolensColumns>) {
    for (const alias of ALIASES[role]) {
      const field = (fields ?? []).find((f) => plain(f.name) === alias);
      const reference = field ? referenceOfElasticField(field.name) : undefined;
      if (reference && 'field' in reference) {
        columns[role] = reference.field;
        break;
      }
    }
  }
  return columns;
}

/** The influencers picker's narrowest width, in grid units (8 px), as wide as the group field and more. */
export const INFLUENCERS_MIN_WIDTH = 64;
/**
 * MultiCombobox folds the pills that do not fit its measured width into "… +N". It estimates a pill as its
 * label at 12 px plus 50 px, and leaves out its padding (4 px + 28 px), border and chevron (~30 px); 40 px more
 * is room for typing another name.
 */
const PILL_EXTRA_PX = 50;
const INPUT_CHROME_PX = 64 + 40;

/**
 * The width (grid units) at which MultiCombobox shows every chosen influencer as a pill, by its own estimate:
 * at least INFLUENCERS_MIN_WIDTH, wider as influencers are added, so none is folded out of sight.
 */
export function influencersMinWidth(influencers: readonly string[]): number {
  const pills = influencers.reduce((px, name) => px + measureText(name, 12).width + PILL_EXTRA_PX, 0);
  return Math.max(INFLUENCERS_MIN_WIDTH, Math.ceil((pills + INPUT_CHROME_PX) / 8));
}
