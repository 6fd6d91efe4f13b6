//! How a command ends: an exit code and, for a failure, one line for the operator. No
//! panic and no backtrace reaches the terminal: every error becomes one of these.

use std::process::ExitCode;

use offboard_pipeline::PipelineError;

/// Exit codes, as `--help` documents them.
pub const DONE: u8 = 0;
pub const COULD_NOT_RUN: u8 = 1;
pub const INPUT: u8 = 2;
pub const HELD: u8 = 3;
pub const SOME_FAILED: u8 = 4;
pub const INTERRUPTED: u8 = 130;

#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    /// Printed to stderr as `offboard: <message>`.
    pub message: Option<String>,
}

impl Exit {
    pub fn ok() -> Exit {
        Exit { code: DONE, message: None }
    }

    pub fn with_code(code: u8) -> Exit {
        Exit { code, message: None }
    }

    pub fn failure(code: u8, message: impl Into<String>) -> Exit {
        Exit { code, message: Some(message.into()) }
    }

    /// A bad file, field or argument: nothing was changed.
    pub fn input(message: impl Into<String>) -> Exit {
        Exit::failure(INPUT, message)
    }

    pub fn report(self) -> ExitCode {
        if let Some(message) = &self.message {
            eprintln!("offboard: {message}");
        }
        ExitCode::from(self.code)
    }
}

impl From<PipelineError> for Exit {
    fn from(error: PipelineError) -> Exit {
        match &error {
            PipelineError::Config(_) | PipelineError::Data { .. } => Exit::input(error.to_string()),
            _ => Exit::failure(COULD_NOT_RUN, error.to_string()),
        }
    }
}

impl From<offboard_zoom::ZoomError> for Exit {
    fn from(error: offboard_zoom::ZoomError) -> Exit {
        Exit::failure(COULD_NOT_RUN, format!("Zoom: {error}"))
    }
}

/// Reads a file the operator named; the error names it.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Exit> {
    std::fs::read(path).map_err(|e| Exit::input(format!("{}: {e}", path.display())))
}

/// Writes a file; the error names it.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), Exit> {
    std::fs::write(path, bytes).map_err(|e| Exit::failure(COULD_NOT_RUN, format!("{}: {e}", path.display())))
}
