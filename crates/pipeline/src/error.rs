//! The pipeline's errors: each says what was being done and to which object.

use offboard_zoom::ZoomError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("S3 {operation} s3://{bucket}/{key}: {detail}")]
    S3 { operation: &'static str, bucket: String, key: String, detail: String },
    #[error("SQS {operation}: {detail}")]
    Sqs { operation: &'static str, detail: String },
    #[error("SNS {operation}: {detail}")]
    Sns { operation: &'static str, detail: String },
    #[error("KMS {operation}: {detail}")]
    Kms { operation: &'static str, detail: String },
    #[error("SSM: {0}")]
    Ssm(String),
    #[error(transparent)]
    Zoom(#[from] ZoomError),
    #[error("{what}: {detail}")]
    Data { what: String, detail: String },
}
