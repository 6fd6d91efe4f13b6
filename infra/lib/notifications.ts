/**
 * Notifications: the one SNS topic people hear from, encrypted with the stack key. The
 * functions publish their notices to it (plan held, file rejected, approval refused, run
 * stalled, run completed: the message attribute `event` names which) and the alarms
 * (alarms.ts) publish to it, so it exists before both. `notificationEmail` is subscribed
 * to everything; `completionEmail` (HR, say) only to completed runs, by a filter policy on
 * `event`.
 *
 * Its resources are added to the stack itself, not to a construct of its own, so their
 * logical IDs stay those of the deployed stack (see offboard-stack.ts).
 */
import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { OffboardConfig } from './config';

export interface NotificationsProps {
  readonly config: Pick<OffboardConfig, 'notificationEmail' | 'completionEmail'>;
  /** The stack key (Storage.key). */
  readonly key: kms.IKey;
}

export class Notifications {
  /** Run summaries and alarms. */
  public readonly topic: sns.Topic;

  constructor(scope: Stack, props: NotificationsProps) {
    this.topic = new sns.Topic(scope, 'NotificationTopic', {
      displayName: 'Offboard run summaries and alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    const email = props.config.notificationEmail;
    if (email) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    const completions = props.config.completionEmail;
    if (completions) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(completions, {
          filterPolicy: { event: sns.SubscriptionFilter.stringFilter({ allowlist: ['run_completed'] }) },
        }),
      );
    }
  }
}
