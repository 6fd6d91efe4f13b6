/**
 * The app's one stack, as `cdk synth` and `cdk deploy` make it (bin/offboard.ts), in a
 * function the tests can call: reads the context (lib/config.ts), adds cdk-nag, and names
 * the stack after the stage: `Offboard` with none (the deployed stack, unchanged; its
 * template is cdk.out/Offboard.template.json, which the local stack reads), `Offboard-dev`
 * with `-c stage=dev`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext, stackIdOf } from './config';
import { OffboardStack } from './offboard-stack';

const DESCRIPTION = 'Offboard: removes departing people from a Zoom account (planner and executor Lambdas, bucket, queue, schedule, alarms)';

export function addOffboardStack(app: App): OffboardStack {
  // cdk-nag 3 runs as a policy validation plugin: any unacknowledged finding fails synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const config = configFromContext((key) => app.node.tryGetContext(key));
  return new OffboardStack(app, stackIdOf(config), {
    description: config.stage ? `${DESCRIPTION}; stage ${config.stage}` : DESCRIPTION,
    // Deploys to the account and region of the CLI's credentials; synth needs neither.
    env:
      process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
        ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
        : undefined,
    config,
  });
}
