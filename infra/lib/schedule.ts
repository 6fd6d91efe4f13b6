/**
 * Schedules: the daily inactive-user sweep, and the watcher's look once a minute. Owns the
 * EventBridge Scheduler schedules that invoke the planner with a sweep event and the
 * watcher with a watch event, and the roles the scheduler assumes to do it (invoke the
 * planner and dead-letter an undelivered sweep to the planner failure queue; invoke the
 * watcher).
 *
 * Its resources are added to the stack itself, not to a construct of its own, so their
 * logical IDs stay those of the deployed stack (see offboard-stack.ts).
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { OffboardConfig } from './config';

export interface SweepScheduleProps {
  readonly config: Pick<OffboardConfig, 'sweepSchedule' | 'sweepTimezone' | 'sweepEnabled' | 'sweepInactiveDays' | 'sweepAction'>;
  /** What the schedule invokes (Functions.planner.fn). */
  readonly planner: lambda.IFunction;
  /** Where an undelivered sweep goes (Queues.plannerFailureQueue). */
  readonly plannerFailureQueue: sqs.IQueue;
  /** The key that queue is encrypted with (Storage.key). */
  readonly key: kms.IKey;
}

export class SweepSchedule {
  public readonly schedulerRole: iam.Role;
  public readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Stack, props: SweepScheduleProps) {
    const { config: c, planner, plannerFailureQueue, key } = props;

    this.schedulerRole = new iam.Role(scope, 'SweepSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'Offboard: lets EventBridge Scheduler start the daily sweep (invoke the planner only)',
    });
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'InvokePlanner', actions: ['lambda:InvokeFunction'], resources: [planner.functionArn] }),
    );
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DeadLetterUndeliveredSweeps', actions: ['sqs:SendMessage'], resources: [plannerFailureQueue.queueArn] }),
    );
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'EncryptDeadLetters', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }),
    );

    this.schedule = new scheduler.CfnSchedule(scope, 'SweepSchedule', {
      description: `Offboard inactive-user sweep: ${c.sweepAction} licensed users with no sign-in for ${c.sweepInactiveDays} days`,
      scheduleExpression: c.sweepSchedule,
      scheduleExpressionTimezone: c.sweepTimezone,
      state: c.sweepEnabled ? 'ENABLED' : 'DISABLED',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: planner.functionArn,
        roleArn: this.schedulerRole.roleArn,
        input: JSON.stringify({
          source: 'offboard.scheduler',
          'detail-type': 'Offboard Sweep',
          time: '<aws.scheduler.scheduled-time>',
          detail: { kind: 'sweep', inactive_days: c.sweepInactiveDays, action: c.sweepAction },
        }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: plannerFailureQueue.queueArn },
      },
    });
  }
}

export interface WatchScheduleProps {
  /** What the schedule invokes (Functions.watcher.fn). */
  readonly watcher: lambda.IFunction;
}

/**
 * The watcher's look at the sent runs, once a minute: completion is announced within a
 * minute of a run's last result, a stall within a minute of its stall time. An undelivered
 * look is not retried or dead-lettered: the next minute's look does the same work.
 */
export class WatchSchedule {
  public readonly schedulerRole: iam.Role;
  public readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Stack, props: WatchScheduleProps) {
    this.schedulerRole = new iam.Role(scope, 'WatchSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'Offboard: lets EventBridge Scheduler start the watcher once a minute (invoke the watcher only)',
    });
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'InvokeWatcher', actions: ['lambda:InvokeFunction'], resources: [props.watcher.functionArn] }),
    );
    this.schedule = new scheduler.CfnSchedule(scope, 'WatchSchedule', {
      description: 'Offboard watcher: completes finished runs and announces stalled ones',
      scheduleExpression: 'rate(1 minute)',
      state: 'ENABLED',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.watcher.functionArn,
        roleArn: this.schedulerRole.roleArn,
        input: JSON.stringify({
          source: 'offboard.scheduler',
          'detail-type': 'Offboard Watch',
          time: '<aws.scheduler.scheduled-time>',
        }),
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      },
    });
  }
}
