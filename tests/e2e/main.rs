//! Every end-to-end test in one binary, so the AWS SDK, zoom-sim and the test helpers are
//! compiled and linked once: each module is a concern, each test starts the real parts it
//! needs (moto's server under the template's IAM, zoom-sim, the Lambda binaries under
//! cargo-lambda's emulator, the CLI) on 127.0.0.1 and stops them.

mod cli;
mod doctor;
mod end_to_end;
mod execution;
mod iam;
mod lifecycle;
mod make_stack;
mod report_render;
mod safety;
mod scopes;
