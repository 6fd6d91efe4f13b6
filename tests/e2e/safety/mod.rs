//! The ways Offboard could harm the people it protects, each tried on the local stack
//! (moto under the template's IAM, zoom-sim, the real Lambda binaries): the careless
//! export, the later change, the crash between two writes. Every test here asserts the
//! safe answer: refuse with a clear reason, or finish what was started exactly once.

mod executor_side;
mod inputs;
mod planner_side;
