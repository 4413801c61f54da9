/**
 * Elastic settings a job may carry that Rarity reads but does not apply. Each warning names the setting and
 * says what differs from Elastic because of it; settings left at the value that means "off" say nothing.
 */
import { parseElasticTimeMs } from '../duration.ts';
import { at, isObject, show, type Obj, type Reader } from './reader.ts';
import { ML_CATEGORY } from './vocabulary.ts';

const given = (value: unknown) => value !== undefined && value !== null;

export function warnDetector(item: Obj, path: string, label: string, r: Reader): void {
  if (given(item.use_null) && typeof item.use_null !== 'boolean') {
    r.problem(at(path, 'use_null'), `${label}: use_null must be true or false, got ${show(item.use_null)}`);
  } else if (item.use_null === true) {
    r.warnings.push(
      `${label}: use_null is not applied: rows without a by or over value are left out, where Elastic would analyse them as one more, empty, value`,
    );
  }
  const exclude = r.text(item, 'exclude_frequent', path);
  if (exclude !== undefined && exclude.toLowerCase() !== 'none') {
    r.warnings.push(
      `${label}: exclude_frequent "${exclude}" is not applied: frequent values are scored like any other, where Elastic would leave them out of the results`,
    );
  }
  const rules = item.custom_rules;
  if (given(rules) && !Array.isArray(rules)) {
    r.problem(at(path, 'custom_rules'), `${label}: custom_rules must be an array, got ${show(rules)}`);
  } else if (Array.isArray(rules) && rules.length > 0) {
    const count = rules.length === 1 ? '1 custom rule is' : `${rules.length} custom rules are`;
    r.warnings.push(
      `${label}: ${count} not applied: results Elastic would skip (skip_result) are reported, and rows it would keep out of the model (skip_model) are modelled`,
    );
  }
}

export function warnAnalysisConfig(config: Obj, r: Reader): void {
  const summary = r.text(config, 'summary_count_field_name', 'analysis_config');
  if (summary !== undefined) {
    r.warnings.push(
      `analysis_config.summary_count_field_name "${summary}" is not applied: Rarity counts each row as one event, where Elastic would count it as "${summary}" events, so results differ on pre-summarised rows`,
    );
  }
  // "0s" is Elastic's default, no latency at all.
  if (given(config.latency) && parseElasticTimeMs(String(config.latency)) !== 0) {
    r.warnings.push(
      `analysis_config.latency ${show(config.latency)} is not applied: Rarity does not hold buckets open for late rows; when it finds rows dated before its progress it analyses again from the snapshot before them, however late they came`,
    );
  }
  if (config.multivariate_by_fields === true) {
    r.warnings.push(
      'analysis_config.multivariate_by_fields is not applied: Rarity models each by value on its own, without correlations between them',
    );
  }
  if (given(config.model_prune_window)) {
    r.warnings.push(
      `analysis_config.model_prune_window ${show(config.model_prune_window)} is not applied: Rarity forgets values not seen for a while by its own decay rule (docs/detection.md), so a value last seen long ago may be scored differently`,
    );
  }
  const categorization = ['categorization_field_name', 'categorization_filters', 'categorization_analyzer'].filter(
    (key) => given(config[key]),
  );
  // GET shows per_partition_categorization with enabled: false on every job; only enabled means anything.
  if (isObject(config.per_partition_categorization) && config.per_partition_categorization.enabled === true) {
    categorization.push('per_partition_categorization');
  }
  if (categorization.length > 0) {
    r.warnings.push(
      `${categorization.map((key) => `analysis_config.${key}`).join(', ')} ${categorization.length === 1 ? 'is' : 'are'} ignored: Rarity does not categorise messages, and no detector can use ${ML_CATEGORY}`,
    );
  }
}

export function warnJob(body: Obj, r: Reader): void {
  if (isObject(body.datafeed_config)) {
    r.warnings.push(
      "datafeed_config is not applied: Rarity reads the datasource's table, not the datafeed's indices, and a condition in the datafeed's query does not narrow the rows",
    );
  }
  if (given(body.renormalization_window_days)) {
    r.warnings.push(
      'renormalization_window_days is not applied: Rarity writes each score once, where Elastic revises recent scores as its normaliser learns',
    );
  }
  if (given(body.results_retention_days)) {
    r.warnings.push("results_retention_days is not applied: results are kept for the datasource's retention days");
  }
}
