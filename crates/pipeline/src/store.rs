//! The bucket: rosters in, backups, plans and results out. Results are write-once
//! (`If-None-Match: *`), so a redelivered action can never record a second outcome.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::put_object::PutObjectError;
use aws_sdk_s3::primitives::ByteStream;

use crate::error::PipelineError;

/// What `HeadObject` tells about an input file.
pub struct ObjectInfo {
    pub etag: String,
    /// Seconds since the Unix epoch.
    pub last_modified: i64,
    pub size: u64,
    /// Set when the bucket is versioned.
    pub version_id: Option<String>,
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub written: Option<jiff::Timestamp>,
}

/// Whether a write-once put wrote or found the object already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOnce {
    Written,
    AlreadyExists,
}

#[derive(Clone)]
pub struct Store {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl Store {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Store { s3, bucket: bucket.into() }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// `s3://bucket/key`, as people and the CLI name an object.
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn error(&self, operation: &'static str, key: &str, detail: impl std::fmt::Display) -> PipelineError {
        PipelineError::S3 { operation, bucket: self.bucket.clone(), key: key.to_string(), detail: detail.to_string() }
    }

    /// The object's `version` (the current one when `None`), or `None` when that version
    /// is gone (deleted since the event named it).
    pub async fn head_version(&self, key: &str, version: Option<&str>) -> Result<Option<ObjectInfo>, PipelineError> {
        let head = match self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
        {
            Ok(head) => head,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
            Err(e) => return Err(self.error("HeadObject", key, DisplayErrorContext(e))),
        };
        Ok(Some(ObjectInfo {
            etag: head.e_tag().unwrap_or_default().trim_matches('"').to_string(),
            last_modified: head.last_modified().map_or(0, |t| t.secs()),
            size: head.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            version_id: head.version_id().filter(|v| !v.is_empty() && *v != "null").map(str::to_string),
        }))
    }

    /// The object, or `None` when there is none.
    pub async fn get_optional(&self, key: &str) -> Result<Option<Vec<u8>>, PipelineError> {
        Ok(self.get_tagged(key).await?.map(|(bytes, _)| bytes))
    }

    /// The object's bytes and ETag, or `None` when there is none: what
    /// [`Store::put_json_if_unchanged`] rewrites.
    pub async fn get_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, PipelineError> {
        match self.s3.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(object) => {
                let etag = object.e_tag().unwrap_or_default().to_string();
                let bytes = object.body.collect().await.map_err(|e| self.error("GetObject", key, e))?;
                Ok(Some((bytes.into_bytes().to_vec(), etag)))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(self.error("GetObject", key, DisplayErrorContext(e))),
        }
    }

    /// Replaces the object only while it is the one read with `etag` (`If-Match`), so two
    /// read-modify-writes never lose each other's change: `false` when it changed or went
    /// away since, and the caller reads it again.
    pub async fn put_json_if_unchanged<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
        etag: &str,
    ) -> Result<bool, PipelineError> {
        let put = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .if_match(etag)
            .body(ByteStream::from(to_json(value)?));
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_precondition_failed(&e) || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                Ok(false)
            }
            Err(e) => Err(self.error("PutObject", key, DisplayErrorContext(e))),
        }
    }

    /// The object and its user metadata, or `None` when there is none.
    pub async fn get_with_metadata(
        &self,
        key: &str,
    ) -> Result<Option<(Vec<u8>, std::collections::HashMap<String, String>)>, PipelineError> {
        match self.s3.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(object) => {
                let metadata = object.metadata().cloned().unwrap_or_default();
                let bytes = object.body.collect().await.map_err(|e| self.error("GetObject", key, e))?;
                Ok(Some((bytes.into_bytes().to_vec(), metadata)))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(self.error("GetObject", key, DisplayErrorContext(e))),
        }
    }

    /// Every key under `prefix`, in key order.
    pub async fn list_keys(&self, prefix: &str) -> Result<Vec<String>, PipelineError> {
        Ok(self.list_objects(prefix).await?.into_iter().map(|o| o.key).collect())
    }

    /// Every object under `prefix`, in key order, with when it was written (`None` when
    /// S3 gives no time).
    pub async fn list_objects(&self, prefix: &str) -> Result<Vec<Listed>, PipelineError> {
        let mut objects = Vec::new();
        let mut pages = self.s3.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("ListObjectsV2", prefix, DisplayErrorContext(e)))?;
            objects.extend(page.contents().iter().filter_map(|o| {
                let written = o.last_modified().and_then(|t| jiff::Timestamp::from_second(t.secs()).ok());
                Some(Listed { key: o.key()?.to_string(), written })
            }));
        }
        Ok(objects)
    }

    /// The "folders" one level under `prefix` (`runs/` gives `runs/<run>/` for each run),
    /// in key order, without listing what is in them.
    pub async fn list_folders(&self, prefix: &str) -> Result<Vec<String>, PipelineError> {
        let mut folders = Vec::new();
        let mut pages =
            self.s3.list_objects_v2().bucket(&self.bucket).prefix(prefix).delimiter("/").into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("ListObjectsV2", prefix, DisplayErrorContext(e)))?;
            folders.extend(page.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)));
        }
        Ok(folders)
    }

    pub async fn delete(&self, key: &str) -> Result<(), PipelineError> {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.error("DeleteObject", key, DisplayErrorContext(e)))?;
        Ok(())
    }

    pub async fn exists(&self, key: &str) -> Result<bool, PipelineError> {
        match self.s3.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(self.error("HeadObject", key, DisplayErrorContext(e))),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, PipelineError> {
        self.get_version(key, None).await
    }

    /// The bytes of the object's `version` (the current one when `None`).
    pub async fn get_version(&self, key: &str, version: Option<&str>) -> Result<Vec<u8>, PipelineError> {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .map_err(|e| self.error("GetObject", key, DisplayErrorContext(e)))?;
        let bytes = object.body.collect().await.map_err(|e| self.error("GetObject", key, e))?;
        Ok(bytes.into_bytes().to_vec())
    }

    pub async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), PipelineError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.error("PutObject", key, DisplayErrorContext(e)))?;
        Ok(())
    }

    /// Writes the object only if no object has that key (`If-None-Match: *`).
    pub async fn put_once(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<PutOnce, PipelineError> {
        self.put_once_with_metadata(key, body, content_type, &[]).await
    }

    /// [`Store::put_once`] with user metadata (`x-amz-meta-NAME`), written in the same put.
    pub async fn put_once_with_metadata(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        metadata: &[(&str, &str)],
    ) -> Result<PutOnce, PipelineError> {
        let mut put = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .if_none_match("*")
            .body(ByteStream::from(body));
        for (name, value) in metadata {
            put = put.metadata(*name, *value);
        }
        let sent = put.send().await;
        match sent {
            Ok(_) => Ok(PutOnce::Written),
            Err(e) if is_precondition_failed(&e) => Ok(PutOnce::AlreadyExists),
            Err(e) => Err(self.error("PutObject", key, DisplayErrorContext(e))),
        }
    }

    pub async fn put_json<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<(), PipelineError> {
        self.put(key, to_json(value)?, "application/json").await
    }

    pub async fn put_json_once<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<PutOnce, PipelineError> {
        self.put_once(key, to_json(value)?, "application/json").await
    }

    /// Every object of `keys` as JSON, in order, at most 16 requests at a time (a run's
    /// thousands of results must not open thousands of connections at once).
    pub async fn get_json_all<T: serde::de::DeserializeOwned>(&self, keys: &[String]) -> Result<Vec<T>, PipelineError> {
        use futures::{StreamExt, TryStreamExt};
        futures::stream::iter(keys).map(|key| self.get_json::<T>(key)).buffered(16).try_collect().await
    }

    /// Every object of `keys`, in order, 16 at a time.
    pub async fn get_all(&self, keys: &[String]) -> Result<Vec<Vec<u8>>, PipelineError> {
        use futures::{StreamExt, TryStreamExt};
        futures::stream::iter(keys).map(|key| self.get(key)).buffered(16).try_collect().await
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T, PipelineError> {
        let bytes = self.get(key).await?;
        serde_json::from_slice(&bytes).map_err(|e| self.error("GetObject", key, format!("not valid JSON: {e}")))
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, PipelineError> {
    serde_json::to_vec_pretty(value)
        .map_err(|e| PipelineError::Data { what: "serializing JSON".into(), detail: e.to_string() })
}

fn is_precondition_failed(error: &SdkError<PutObjectError, HttpResponse>) -> bool {
    error.raw_response().is_some_and(|r| r.status().as_u16() == 412)
        || error.as_service_error().and_then(|e| e.code()) == Some("PreconditionFailed")
}
