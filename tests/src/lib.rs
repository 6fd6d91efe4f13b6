//! The local stack: real parts on 127.0.0.1, started and stopped by the test or demo
//! that uses them.
//!
//! - AWS: moto's server (S3 with event notifications to SQS, SQS with a DLQ, SSM, SNS
//!   with a queue subscribed to the notification topic, KMS for the plan-signing key),
//!   with IAM checked: every principal has the role the synthesized template gives it.
//! - Zoom: `zoom-sim`, in-process.
//! - Lambda: the release `planner` and `executor` binaries, each under its own
//!   cargo-lambda Runtime API emulator.
//! - [`LocalStack::deliver_s3_events`] and [`LocalStack::drain_actions`] stand in for
//!   Lambda's event source mappings: they read the queues, invoke the functions with
//!   the envelopes AWS would send, and delete what succeeded.
//!
//! Every process is started in its own process group and killed when the stack is
//! dropped, also when a test fails half-way.

pub mod browser;
pub mod chaos;
pub mod people;
mod process;
mod stack;

pub use process::{status_mb, Guard};
pub use stack::{
    bin_dir, documented_scopes, repo_root, template_path, with_event, AccessKeys, AccountArgs, DrainStats, Kills,
    LocalStack, Principal, StackOptions, ACTION_QUEUE, BUCKET, MAX_RECEIVE_COUNT,
};
