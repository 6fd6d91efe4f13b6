/**
 * The stack's parameters: their defaults, and how they are read from CDK context
 * (`cdk deploy -c executorConcurrency=8`, or the "context" object of cdk.json).
 *
 * Every value is checked here, once, so the stack code can trust what it gets and a
 * wrong value fails `cdk synth` with a message that names the key.
 */
import * as path from 'node:path';

/** Zoom plans, as Zoom's rate-limit tables name them (Business+ covers Business, Education, Enterprise). */
export const ZOOM_PLANS = ['free', 'pro', 'business'] as const;
export type ZoomPlan = (typeof ZOOM_PLANS)[number];

/** What the inactive-user sweep does to a licensed user with no sign-in for `sweepInactiveDays`. */
export const SWEEP_ACTIONS = ['downgrade', 'deactivate'] as const;
export type SweepAction = (typeof SWEEP_ACTIONS)[number];

/** The stack id of the default stage (no `stage` given): the deployed stack, kept as it is. */
export const DEFAULT_STACK_ID = 'Offboard';

/** Longest stage name: it goes into the stack, bucket and dashboard names. */
export const MAX_STAGE_LENGTH = 12;

export interface OffboardConfig {
  /**
   * The deployment stage, so that two can live in one account and region side by side: absent
   * for the default stage (stack `Offboard`, names as they always were); `dev`, say, for a stack
   * `Offboard-dev` whose fixed names carry the stage (buckets `<prefix>-dev-...`, the dashboard,
   * the default SSM parameter names `/offboard/dev/zoom/...`).
   */
  readonly stage?: string;
  /**
   * Bucket names are `<prefix>-<account>-<region>` and `<prefix>-logs-<account>-<region>`,
   * with a stage `<prefix>-<stage>-<account>-<region>` and `<prefix>-<stage>-logs-<account>-<region>`.
   */
  readonly bucketNamePrefix: string;
  /** The Zoom plan of the account: sets the rate limits the executors pace against. */
  readonly zoomPlan: ZoomPlan;
  /** Share (0 < s <= 1) of the account's Zoom rate limit Offboard may use; the rest stays for other apps. */
  readonly budgetShare: number;
  /** N: reserved concurrency of the executor and maximum concurrency of its SQS event source. */
  readonly executorConcurrency: number;
  /** Actions per SQS batch handed to one executor invocation (1..10). */
  readonly batchSize: number;
  /** Receives before an action message moves to the dead-letter queue (>= 5). */
  readonly maxReceiveCount: number;

  /** EventBridge Scheduler expression of the inactive-user sweep, e.g. `cron(0 6 * * ? *)`. */
  readonly sweepSchedule: string;
  /** IANA time zone the sweep expression is read in. */
  readonly sweepTimezone: string;
  /** Whether the sweep schedule is enabled. */
  readonly sweepEnabled: boolean;
  /** A licensed user with no sign-in for this many days is swept. */
  readonly sweepInactiveDays: number;
  /** What the sweep does to such a user. */
  readonly sweepAction: SweepAction;

  /** Guardrail: a plan with more destructive actions than this is held for approval. */
  readonly maxDestructiveActions: number;
  /** Guardrail: a plan whose destructive actions exceed this share of the account is held. */
  readonly maxDestructiveShare: number;
  /** Guardrail: emails outside these domains are refused (empty: no domain restriction). */
  readonly allowedDomains: string[];

  /** Names of the SSM SecureString parameters with the Zoom app's credentials (not created by the stack). */
  readonly zoomAccountIdParam: string;
  readonly zoomClientIdParam: string;
  readonly zoomClientSecretParam: string;
  /**
   * ARN of the customer-managed KMS key the SecureString parameters are encrypted with.
   * Empty: the parameters use the AWS-managed key `aws/ssm` (see the README).
   */
  readonly ssmKmsKeyArn?: string;

  /**
   * IAM principals (role or user ARNs) besides the stack's own OperatorRole that may write
   * approvals under `approvals/`: e.g. the role of an SSO permission set the approvers use.
   * The bucket policy denies every other principal; attach OperatorPolicy to them too.
   */
  readonly approverPrincipalArns: string[];

  /** Email address subscribed to every notification: held plans, refused files and approvals, stalls, completions and alarms (empty: no subscription). */
  readonly notificationEmail?: string;

  /** Email address subscribed to completed runs only (`event` = `run_completed`): HR, say (empty: no subscription). */
  readonly completionEmail?: string;

  /** Days a backup under `backups/` is kept. */
  readonly backupRetentionDays: number;
  /** Days a noncurrent (overwritten or deleted) object version is kept. */
  readonly noncurrentVersionDays: number;
  /** Days server access logs are kept. */
  readonly accessLogRetentionDays: number;
  /** Days the functions' CloudWatch logs are kept (a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;

  /** Provisional sizes (no benchmarks yet): see the README. */
  readonly plannerMemoryMb: number;
  readonly plannerTimeoutSeconds: number;
  /** Reserved concurrency of the planner (S3 events and the sweep arriving together wait their turn). */
  readonly plannerConcurrency: number;
  readonly executorMemoryMb: number;
  readonly executorTimeoutSeconds: number;

  /**
   * A run whose actions were sent is stalled when no result has arrived for this many
   * minutes while results are still missing: the watcher announces it (1..1440).
   */
  readonly stallAfterMinutes: number;

  /** Folder holding `<bin>/bootstrap.zip` from `cargo lambda build --release --arm64 --output-format zip`. */
  readonly lambdaDir: string;
  /** Use a placeholder bootstrap when a zip is missing (synth and tests without a Rust build; never deploy it). */
  readonly placeholderCode: boolean;

  /** Optional overrides of Zoom's endpoints (defaults: Zoom's own), e.g. for a staging simulator. */
  readonly zoomApiUrl?: string;
  readonly zoomOauthUrl?: string;
}

/** `infra/lib` → the repository's `target/lambda`, where cargo-lambda writes the zips. */
export const DEFAULT_LAMBDA_DIR = path.resolve(__dirname, '..', '..', 'target', 'lambda');

export const DEFAULTS: OffboardConfig = {
  bucketNamePrefix: 'offboard',
  zoomPlan: 'pro',
  budgetShare: 0.5,
  executorConcurrency: 5,
  batchSize: 10,
  maxReceiveCount: 5,
  sweepSchedule: 'cron(0 6 * * ? *)',
  sweepTimezone: 'UTC',
  sweepEnabled: true,
  sweepInactiveDays: 90,
  sweepAction: 'downgrade',
  maxDestructiveActions: 50,
  maxDestructiveShare: 0.05,
  allowedDomains: [],
  approverPrincipalArns: [],
  zoomAccountIdParam: '/offboard/zoom/account_id',
  zoomClientIdParam: '/offboard/zoom/client_id',
  zoomClientSecretParam: '/offboard/zoom/client_secret',
  backupRetentionDays: 180,
  noncurrentVersionDays: 30,
  accessLogRetentionDays: 365,
  logRetentionDays: 365,
  plannerMemoryMb: 1024,
  plannerTimeoutSeconds: 900,
  plannerConcurrency: 2,
  executorMemoryMb: 256,
  executorTimeoutSeconds: 60,
  stallAfterMinutes: 15,
  lambdaDir: DEFAULT_LAMBDA_DIR,
  placeholderCode: false,
};

/** The context keys the app reads: exactly the fields of OffboardConfig. */
export const CONTEXT_KEYS = Object.keys(DEFAULTS).concat([
  'stage',
  'ssmKmsKeyArn',
  'notificationEmail',
  'completionEmail',
  'zoomApiUrl',
  'zoomOauthUrl',
]) as (keyof OffboardConfig)[];

/** CloudWatch Logs accepts only these retention values. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

export class ConfigError extends Error {}

function fail(key: string, message: string): never {
  throw new ConfigError(`offboard config: ${key} ${message}`);
}

function integer(key: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    fail(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function fraction(key: string, value: unknown): number {
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 1) {
    fail(key, `must be a number greater than 0 and at most 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

function bool(key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return fail(key, `must be true or false, got ${JSON.stringify(value)}`);
}

function str(key: string, value: unknown): string {
  if (typeof value !== 'string') fail(key, `must be a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[]): T {
  const s = str(key, value);
  if (!(allowed as readonly string[]).includes(s)) fail(key, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return s as T;
}

function optional(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = str(key, value);
  return s === '' ? undefined : s;
}

function ssmName(key: string, value: unknown): string {
  const s = str(key, value);
  // SSM parameter names: letters, digits and . - _ /, at most 1011 characters; hierarchies start with '/'.
  if (!/^\/?[A-Za-z0-9_.\-/]{1,1010}$/.test(s) || s.includes('//') || s.endsWith('/')) {
    fail(key, `must be an SSM parameter name such as /offboard/zoom/client_id, got ${JSON.stringify(value)}`);
  }
  return s;
}

function list(key: string, value: unknown): string[] {
  const items = Array.isArray(value) ? value : str(key, value).split(',');
  return items.map((item) => str(key, item).toLowerCase()).filter((item) => item !== '');
}

/** IAM role or user ARNs, comma-separated or a list; case is kept (IAM names are case-sensitive). */
function principalArns(key: string, value: unknown): string[] {
  const items = Array.isArray(value) ? value : str(key, value).split(',');
  const arns = items.map((item) => str(key, item)).filter((item) => item !== '');
  for (const arn of arns) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@\-/]+$/.test(arn)) {
      fail(key, `must list IAM role or user ARNs (arn:aws:iam::ACCOUNT:role/NAME), got ${JSON.stringify(arn)}`);
    }
  }
  return arns;
}

/** The stack id of a stage: `Offboard` without one (the default stage), `Offboard-<stage>` with one. */
export function stackIdOf(config: Pick<OffboardConfig, 'stage'>): string {
  return config.stage ? `${DEFAULT_STACK_ID}-${config.stage}` : DEFAULT_STACK_ID;
}

/** What bucket names start with: the prefix, and the stage after it when there is one. */
export function bucketBaseName(config: Pick<OffboardConfig, 'bucketNamePrefix' | 'stage'>): string {
  return config.stage ? `${config.bucketNamePrefix}-${config.stage}` : config.bucketNamePrefix;
}

/** The SSM parameter names a stage reads unless told others: `/offboard/<stage>/zoom/...`. */
function stageParameterDefaults(stage: string): Pick<OffboardConfig, 'zoomAccountIdParam' | 'zoomClientIdParam' | 'zoomClientSecretParam'> {
  return {
    zoomAccountIdParam: `/offboard/${stage}/zoom/account_id`,
    zoomClientIdParam: `/offboard/${stage}/zoom/client_id`,
    zoomClientSecretParam: `/offboard/${stage}/zoom/client_secret`,
  };
}

function stageName(value: unknown): string | undefined {
  const stage = optional('stage', value);
  if (stage === undefined) return undefined;
  if (stage.length > MAX_STAGE_LENGTH || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(stage)) {
    fail('stage', `must be 1 to ${MAX_STAGE_LENGTH} lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen (e.g. dev), got ${JSON.stringify(value)}`);
  }
  // <prefix>-logs-... is the access-log bucket of the stage before it: `-c stage=logs` would name the default stage's.
  if (stage === 'logs' || stage.endsWith('-logs')) {
    fail('stage', `must not be "logs" or end in "-logs": its data bucket would be named like another stage's access-log bucket, got ${JSON.stringify(value)}`);
  }
  return stage;
}

/** Checks a full set of values and returns it normalized; throws ConfigError naming the bad key. */
export function validateConfig(raw: Record<string, unknown>): OffboardConfig {
  for (const key of Object.keys(raw)) {
    if (!(CONTEXT_KEYS as string[]).includes(key)) fail(key, `is not a known parameter (known: ${CONTEXT_KEYS.join(', ')})`);
  }
  const stage = stageName(raw.stage);
  const v = { ...DEFAULTS, ...(stage ? stageParameterDefaults(stage) : {}), ...raw } as Record<string, unknown>;
  const bucketNamePrefix = str('bucketNamePrefix', v.bucketNamePrefix);
  // The longest name is <prefix>-logs-<12-digit account>-<region of up to 14 characters>: at most 63.
  if (!/^[a-z0-9][a-z0-9-]{0,28}[a-z0-9]$/.test(bucketNamePrefix) || bucketNamePrefix.includes('--')) {
    fail('bucketNamePrefix', `must be 2 to 30 lowercase letters, digits or single hyphens, got ${JSON.stringify(v.bucketNamePrefix)}`);
  }
  // The same bound for <prefix>-<stage>, which takes the prefix's place in the bucket names.
  if (stage && bucketBaseName({ bucketNamePrefix, stage }).length > 30) {
    fail('stage', `and bucketNamePrefix together (${bucketNamePrefix}-${stage}) must be at most 30 characters: they start the bucket names`);
  }
  const executorTimeoutSeconds = integer('executorTimeoutSeconds', v.executorTimeoutSeconds, 1, 900);
  const config: OffboardConfig = {
    stage,
    bucketNamePrefix,
    zoomPlan: oneOf('zoomPlan', v.zoomPlan, ZOOM_PLANS),
    budgetShare: fraction('budgetShare', v.budgetShare),
    // An SQS event source's maximum concurrency is 2 to 1000.
    executorConcurrency: integer('executorConcurrency', v.executorConcurrency, 2, 1000),
    // Above 10 an SQS event source needs a batching window, which would delay actions.
    batchSize: integer('batchSize', v.batchSize, 1, 10),
    maxReceiveCount: integer('maxReceiveCount', v.maxReceiveCount, 5, 1000),
    sweepSchedule: str('sweepSchedule', v.sweepSchedule),
    sweepTimezone: str('sweepTimezone', v.sweepTimezone),
    sweepEnabled: bool('sweepEnabled', v.sweepEnabled),
    sweepInactiveDays: integer('sweepInactiveDays', v.sweepInactiveDays, 1, 3650),
    sweepAction: oneOf('sweepAction', v.sweepAction, SWEEP_ACTIONS),
    maxDestructiveActions: integer('maxDestructiveActions', v.maxDestructiveActions, 0, 1_000_000),
    maxDestructiveShare: fraction('maxDestructiveShare', v.maxDestructiveShare),
    allowedDomains: list('allowedDomains', v.allowedDomains),
    approverPrincipalArns: principalArns('approverPrincipalArns', v.approverPrincipalArns),
    zoomAccountIdParam: ssmName('zoomAccountIdParam', v.zoomAccountIdParam),
    zoomClientIdParam: ssmName('zoomClientIdParam', v.zoomClientIdParam),
    zoomClientSecretParam: ssmName('zoomClientSecretParam', v.zoomClientSecretParam),
    ssmKmsKeyArn: optional('ssmKmsKeyArn', v.ssmKmsKeyArn),
    notificationEmail: optional('notificationEmail', v.notificationEmail),
    completionEmail: optional('completionEmail', v.completionEmail),
    backupRetentionDays: integer('backupRetentionDays', v.backupRetentionDays, 1, 36500),
    noncurrentVersionDays: integer('noncurrentVersionDays', v.noncurrentVersionDays, 1, 36500),
    accessLogRetentionDays: integer('accessLogRetentionDays', v.accessLogRetentionDays, 1, 36500),
    logRetentionDays: integer('logRetentionDays', v.logRetentionDays, 1, 3653),
    plannerMemoryMb: integer('plannerMemoryMb', v.plannerMemoryMb, 128, 10240),
    plannerTimeoutSeconds: integer('plannerTimeoutSeconds', v.plannerTimeoutSeconds, 1, 900),
    plannerConcurrency: integer('plannerConcurrency', v.plannerConcurrency, 1, 1000),
    executorMemoryMb: integer('executorMemoryMb', v.executorMemoryMb, 128, 10240),
    executorTimeoutSeconds,
    stallAfterMinutes: integer('stallAfterMinutes', v.stallAfterMinutes, 1, 1440),
    lambdaDir: path.resolve(str('lambdaDir', v.lambdaDir)),
    placeholderCode: bool('placeholderCode', v.placeholderCode),
    zoomApiUrl: optional('zoomApiUrl', v.zoomApiUrl),
    zoomOauthUrl: optional('zoomOauthUrl', v.zoomOauthUrl),
  };
  if (!/^(cron|rate|at)\(.+\)$/.test(config.sweepSchedule)) {
    fail('sweepSchedule', `must be an EventBridge Scheduler expression (cron(...), rate(...) or at(...)), got ${JSON.stringify(config.sweepSchedule)}`);
  }
  if (!LOG_RETENTION_DAYS.includes(config.logRetentionDays)) {
    fail('logRetentionDays', `must be one of CloudWatch Logs' values ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  if (config.ssmKmsKeyArn && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(config.ssmKmsKeyArn)) {
    fail('ssmKmsKeyArn', `must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got ${JSON.stringify(config.ssmKmsKeyArn)}`);
  }
  for (const key of ['notificationEmail', 'completionEmail'] as const) {
    const address = config[key];
    if (address && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      fail(key, `must be an email address, got ${JSON.stringify(address)}`);
    }
  }
  for (const key of ['zoomApiUrl', 'zoomOauthUrl'] as const) {
    const url = config[key];
    if (url && !/^https:\/\/[^\s]+$/.test(url)) fail(key, `must be an https:// URL, got ${JSON.stringify(url)}`);
  }
  return config;
}

/** Reads every known key from a context lookup (`node.tryGetContext`) and validates the result. */
export function configFromContext(tryGetContext: (key: string) => unknown): OffboardConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  return validateConfig(raw);
}
