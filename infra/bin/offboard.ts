#!/usr/bin/env node
/**
 * The CDK app: one stack, "Offboard", parameterised by context (see lib/config.ts and
 * the README), checked at synth time by cdk-nag's AwsSolutions rules.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from '../lib/config';
import { OffboardStack } from '../lib/offboard-stack';

const app = new App();
// cdk-nag 3 runs as a policy validation plugin: any unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const config = configFromContext((key) => app.node.tryGetContext(key));
new OffboardStack(app, 'Offboard', {
  description: 'Offboard: removes departing people from a Zoom account (planner and executor Lambdas, bucket, queue, schedule, alarms)',
  // Deploys to the account and region of the CLI's credentials; synth needs neither.
  env:
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
  config,
});
