#!/usr/bin/env node
/**
 * The CDK app: one stack, "Offboard" ("Offboard-<stage>" with `-c stage=<stage>`),
 * parameterised by context (see lib/config.ts and the README), checked at synth time by
 * cdk-nag's AwsSolutions rules (lib/app.ts).
 */
import { App } from 'aws-cdk-lib';
import { addOffboardStack } from '../lib/app';

addOffboardStack(new App());
