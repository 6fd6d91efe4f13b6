/**
 * Metrics: the custom metrics the functions emit, named in one place for the alarms
 * (alarms.ts) and the dashboard (dashboard.ts). They are what the Rust code prints as
 * CloudWatch Embedded Metric Format lines (`offboard_core::emf`): namespace `NAMESPACE`
 * ("Offboard"), one dimension, `Function`, and the metric names of `print_metrics` in
 * crates/lambdas/src/bin/executor.rs (one line per batch) and watcher.rs (one line per
 * look). The planner prints none: its own figures are Lambda's (Duration, Errors).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** `offboard_core::emf::NAMESPACE`. */
export const NAMESPACE = 'Offboard';

/** The executor's outcomes per batch, counted in actions. */
export const EXECUTOR_OUTCOMES = ['Done', 'Failed', 'Skipped', 'Retried', 'DeadLettered'] as const;

/**
 * Every metric of the executor's line: the outcomes, Zoom's 429s, the batch's achieved rate
 * (actions per second, Count/Second) and the AWS requests the invocation made.
 */
export const EXECUTOR_METRICS = [...EXECUTOR_OUTCOMES, 'Throttled', 'AchievedRate', 'S3Requests', 'SqsRequests'] as const;

/** Every metric of the watcher's line, one per look (once a minute). */
export const WATCHER_METRICS = ['RunsWatched', 'RunsCompleted', 'RunsStalled', 'WatchErrors', 'S3Requests'] as const;

export type ExecutorMetric = (typeof EXECUTOR_METRICS)[number];
export type WatcherMetric = (typeof WATCHER_METRICS)[number];

export interface MetricOptions {
  readonly period: Duration;
  /** `Sum` unless given. */
  readonly statistic?: string;
  readonly label?: string;
}

/** A metric of the executor's EMF line (dimension Function=executor). */
export function executorMetric(name: ExecutorMetric, options: MetricOptions): cloudwatch.Metric {
  return emfMetric('executor', name, options);
}

/** A metric of the watcher's EMF line (dimension Function=watcher). */
export function watcherMetric(name: WatcherMetric, options: MetricOptions): cloudwatch.Metric {
  return emfMetric('watcher', name, options);
}

function emfMetric(fn: 'executor' | 'watcher', name: string, options: MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: NAMESPACE,
    metricName: name,
    dimensionsMap: { Function: fn },
    period: options.period,
    statistic: options.statistic ?? 'Sum',
    label: options.label,
  });
}
