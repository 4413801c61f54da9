/**
 * How a job's fields read on the Jobs page: status and memory badges, lag in words, times in the user's
 * timezone. Pure, so the wording is tested without rendering.
 */
import { dateTimeFormat, type IconName } from '@grafana/data';
import type { BadgeColor } from '@grafana/ui';

import type { JobMemoryStatus, JobStatusName } from '../../../common/resources.ts';

export interface BadgeLook {
  text: string;
  color: BadgeColor;
  icon: IconName;
  tooltip: string;
}

export const STATUS_LOOK: Record<JobStatusName, BadgeLook> = {
  created: {
    text: 'created',
    color: 'purple',
    icon: 'clock-nine',
    tooltip: 'Defined but nothing analysed yet; the next query or alert rule that uses it starts the analysis.',
  },
  backfilling: {
    text: 'backfilling',
    color: 'blue',
    icon: 'sync',
    tooltip: 'Analysing its history; until it catches up, queries answer from what is committed so far.',
  },
  current: {
    text: 'current',
    color: 'green',
    icon: 'check',
    tooltip: 'Analysed up to the last complete bucket.',
  },
  failed: {
    text: 'failed',
    color: 'red',
    icon: 'exclamation-triangle',
    tooltip: 'The last advance failed (see Last error); the next use retries from the last committed chunk.',
  },
};

/** Elastic's model memory status; `ok` needs no badge. */
export const MEMORY_LOOK: Record<Exclude<JobMemoryStatus, 'ok'>, BadgeLook> = {
  soft_limit: {
    text: 'soft limit',
    color: 'orange',
    icon: 'exclamation-triangle',
    tooltip:
      'The model holds at least 90 % of its memory limit; past the limit new entities are not modelled. Raise Model memory limit in the datasource settings.',
  },
  hard_limit: {
    text: 'hard limit',
    color: 'red',
    icon: 'exclamation-circle',
    tooltip:
      'The model reached its memory limit: entities and values it has not seen before are not modelled. Raise Model memory limit in the datasource settings.',
  },
};

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "5 min behind", "2 h 10 min behind", "3 days 4 h behind"; undefined before anything was processed. */
export function formatLag(seconds: number | null): string | undefined {
  if (seconds === null) {
    return undefined;
  }
  if (seconds < MINUTE) {
    return 'less than a minute behind';
  }
  if (seconds < HOUR) {
    return `${Math.floor(seconds / MINUTE)} min behind`;
  }
  if (seconds < DAY) {
    const minutes = Math.floor((seconds % HOUR) / MINUTE);
    return `${Math.floor(seconds / HOUR)} h${minutes ? ` ${minutes} min` : ''} behind`;
  }
  const hours = Math.floor((seconds % DAY) / HOUR);
  return `${plural(Math.floor(seconds / DAY), 'day', 'days')}${hours ? ` ${hours} h` : ''} behind`;
}

/** An ISO time in the user's Grafana timezone, e.g. "2026-11-02 13:00:00". */
export function formatTime(iso: string): string {
  return dateTimeFormat(iso);
}

export function formatLearning(learning: boolean, learningUntil: string | null): string {
  if (!learning) {
    return 'no';
  }
  return learningUntil ? `yes, until ${formatTime(learningUntil)}` : 'yes';
}
