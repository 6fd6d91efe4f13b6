//! The S3 notification envelope, read leniently.
//!
//! `aws_lambda_events::S3Event` requires fields (`userIdentity`, `requestParameters`,
//! ...) that moto's notifications lack, so the planner reads only what it needs: the
//! event name, bucket, key and the version (which S3 names in every notification from a
//! versioned bucket): the planner reads that version, never whatever the key holds now.
//! `s3:TestEvent` bodies have no `Records` at all, and yield no records here.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct S3Notification {
    #[serde(rename = "Records", default)]
    pub records: Vec<S3Record>,
    /// `s3:TestEvent` on the test message S3 sends when notifications are configured.
    #[serde(rename = "Event", default)]
    pub event: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct S3Record {
    #[serde(rename = "eventName", default)]
    pub event_name: String,
    /// Who made the request (absent from moto's events; the local router adds it).
    #[serde(rename = "userIdentity", default)]
    pub user_identity: Option<UserIdentity>,
    pub s3: S3Entity,
}

#[derive(Debug, Deserialize)]
pub struct UserIdentity {
    /// `AWS:<unique id>` of an IAM user, `AWS:<role id>:<session>` of an assumed role.
    #[serde(rename = "principalId", default)]
    pub principal_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct S3Entity {
    pub bucket: S3Bucket,
    pub object: S3Object,
}

#[derive(Debug, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct S3Object {
    /// URL-encoded, form style.
    pub key: String,
    /// The version the event is about; absent for an unversioned bucket.
    #[serde(rename = "versionId", default)]
    pub version_id: Option<String>,
}

impl S3Record {
    pub fn is_object_created(&self) -> bool {
        self.event_name.starts_with("ObjectCreated")
    }

    /// Who uploaded the object, when the event says.
    pub fn principal(&self) -> Option<&str> {
        self.user_identity.as_ref()?.principal_id.as_deref().filter(|p| !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_thin_moto_record_and_a_test_event() {
        let moto = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
            "eventTime":"2026-11-22T10:00:00.000Z","eventName":"ObjectCreated:Put",
            "s3":{"s3SchemaVersion":"1.0","configurationId":"inbox","bucket":{"name":"b","arn":"arn:aws:s3:::b"},
            "object":{"key":"inbox%2FQ4+leavers%2Bcontractors.csv","size":10,"eTag":"x"}}}]}"#;
        let n: S3Notification = serde_json::from_str(moto).unwrap();
        assert_eq!(n.records.len(), 1);
        assert!(n.records[0].is_object_created());
        assert_eq!(n.records[0].s3.object.key, "inbox%2FQ4+leavers%2Bcontractors.csv");
        assert_eq!(n.records[0].s3.object.version_id, None);
        assert_eq!(n.records[0].principal(), None, "moto names no one");
        let aws = moto.replace(r#""eventName""#, r#""userIdentity":{"principalId":"AWS:AROAEXAMPLE:ada"},"eventName""#);
        let n: S3Notification = serde_json::from_str(&aws).unwrap();
        assert_eq!(n.records[0].principal(), Some("AWS:AROAEXAMPLE:ada"));

        let versioned = moto.replace(r#""eTag":"x""#, r#""eTag":"x","versionId":"v-2""#);
        let n: S3Notification = serde_json::from_str(&versioned).unwrap();
        assert_eq!(n.records[0].s3.object.version_id.as_deref(), Some("v-2"));

        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-22T10:00:00Z","Bucket":"b"}"#;
        let n: S3Notification = serde_json::from_str(test_event).unwrap();
        assert!(n.records.is_empty());
        assert_eq!(n.event.as_deref(), Some("s3:TestEvent"));
    }
}
