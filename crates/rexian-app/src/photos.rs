//! Photos of an order from the field (api-v1 "Photos"): JPEG or PNG by their magic bytes, at
//! most [`MAX_PHOTO_BYTES`] each and [`MAX_PHOTOS`] in one upload, stored under the data dir,
//! one row and one `photo_added` event per file; served back only to users who may see the
//! order. Reading the upload (multipart) is the server's.

use std::path::Path;

use rexian_domain::model::{Role, Status};
use rexian_store::orders::{NewEvent, OrderRow};
use rexian_store::photos::{NewPhoto, PhotoRow};
use rexian_store::StoreError;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::orders::visible;
use crate::ser::{self, parse_id};
use crate::{Actor, App, AppError, AppResult};

/// Largest photo accepted, bytes.
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// Most photos in one upload.
pub const MAX_PHOTOS: usize = 6;

/// Who may add photos (among those who may see the order).
const UPLOADERS: &[Role] = &[
    Role::Agent,
    Role::Dispatcher,
    Role::UnitHandler,
    Role::FieldWorker,
    Role::Supervisor,
    Role::Admin,
];

/// Whether the user's roles may add photos (the order must also be visible to them).
pub fn may_upload(me: &Actor) -> bool {
    UPLOADERS.iter().any(|r| me.has(*r))
}

/// The content type of an image by its first bytes: JPEG or PNG, nothing else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// A photo of an upload, checked.
#[derive(Debug, Clone)]
pub struct PhotoFile {
    bytes: Vec<u8>,
    content_type: &'static str,
    file_name: Option<String>,
}

impl PhotoFile {
    /// The photo `bytes` named `file_name` by the client: a JPEG or PNG image, or
    /// `invalid_input` naming `photo`.
    pub fn new(file_name: Option<String>, bytes: Vec<u8>) -> AppResult<PhotoFile> {
        let content_type = sniff(&bytes).ok_or_else(|| {
            AppError::invalid(
                "photo",
                format!(
                    "photo {} is not a JPEG or PNG image",
                    file_name.as_deref().unwrap_or("")
                ),
            )
        })?;
        Ok(PhotoFile {
            bytes,
            content_type,
            file_name,
        })
    }
}

/// An order photos may be added to (from [`target`]).
#[derive(Debug, Clone)]
pub struct UploadTarget(OrderRow);

fn closed(status: &str) -> bool {
    status == Status::Closed.as_str() || status == Status::Cancelled.as_str()
}

fn no_photos(status: &str) -> AppError {
    AppError::InvalidTransition(format!("the order is {status}: no photos can be added"))
}

/// Order `order_id`, when `me` may add photos to it (it is visible, `me` is an uploader and it
/// is neither closed nor cancelled).
pub async fn target(app: &App, me: &Actor, order_id: i64) -> AppResult<UploadTarget> {
    let full = visible(app, me, order_id).await?;
    if !may_upload(me) {
        return Err(AppError::Forbidden);
    }
    if closed(&full.order.status) {
        return Err(no_photos(&full.order.status));
    }
    Ok(UploadTarget(full.order))
}

/// A photo as the API shows it.
#[derive(schemars::JsonSchema, Debug, Clone, Serialize)]
pub struct PhotoView {
    /// Id.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub id: i64,
    /// The order.
    #[schemars(with = "ser::IdText")]
    #[serde(serialize_with = "ser::id")]
    pub order_id: i64,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// The client's file name.
    pub file_name: Option<String>,
    /// Who uploaded it.
    #[schemars(with = "Option<ser::IdText>")]
    #[serde(serialize_with = "ser::opt_id")]
    pub uploaded_by: Option<i64>,
    /// When.
    #[schemars(with = "ser::Rfc3339")]
    #[serde(serialize_with = "ser::time")]
    pub at: i64,
    /// Where the image is served.
    pub url: String,
}

impl PhotoView {
    fn of(p: PhotoRow) -> PhotoView {
        PhotoView {
            url: format!("/api/v1/orders/{}/photos/{}", p.order_id, p.id),
            id: p.id,
            order_id: p.order_id,
            content_type: p.content_type,
            size: p.size,
            sha256: p.sha256,
            file_name: p.file_name,
            uploaded_by: p.uploaded_by,
            at: p.at,
        }
    }
}

/// Stores the checked `files` under `data_dir` and records them, one `photo_added` event each,
/// on the order of `target`.
pub async fn add(
    app: &App,
    me: &Actor,
    target: UploadTarget,
    data_dir: &Path,
    files: Vec<PhotoFile>,
) -> AppResult<Vec<PhotoView>> {
    if files.is_empty() {
        return Err(AppError::invalid("photo", "photo is required"));
    }
    let o = target.0;
    let now = app.now_ms();
    let dir = data_dir.join("photos").join(o.id.to_string());
    let mut rows = Vec::new();
    for f in files {
        let sha = hex::encode(Sha256::digest(&f.bytes));
        let ext = if f.content_type == "image/png" {
            "png"
        } else {
            "jpg"
        };
        write_durably(&dir, &format!("{sha}.{ext}"), &f.bytes)
            .await
            .map_err(|e| AppError::Internal(e.context("storing a photo")))?;
        rows.push(NewPhoto {
            order_id: o.id,
            uploaded_by: Some(me.id),
            at: now,
            content_type: f.content_type.to_owned(),
            size: f.bytes.len() as i64,
            path: format!("photos/{}/{sha}.{ext}", o.id),
            sha256: sha,
            file_name: f.file_name,
        });
    }
    let event = NewEvent {
        kind: "photo_added".into(),
        actor_id: Some(me.id),
        at: now,
        data: serde_json::json!({}),
    };
    let (current, ids) = record(app, o, &rows, &event).await?;
    app.notify(&current);
    let mut out = Vec::new();
    for pid in ids {
        out.push(PhotoView::of(app.store.photo(pid).await?));
    }
    Ok(out)
}

/// Records the stored files. When a timer or a step changed the order meanwhile, the photos
/// join it as it now is (unless it closed), and only a third clash in a row answers 409.
async fn record(
    app: &App,
    mut current: OrderRow,
    rows: &[NewPhoto],
    event: &NewEvent,
) -> AppResult<(OrderRow, Vec<i64>)> {
    let mut attempt = 1;
    loop {
        match app.store.add_photos(current.version, rows, event).await {
            Err(StoreError::Conflict(c)) if c == "orders.version" && attempt < 3 => {
                attempt += 1;
                current = app.store.order(current.id).await?;
                if closed(&current.status) {
                    return Err(no_photos(&current.status));
                }
            }
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::Conflict {
                    field: None,
                    message: "the order changed meanwhile; retry".into(),
                })
            }
            other => return Ok((current, other?)),
        }
    }
}

/// Writes a file through a temporary name, synced before it takes its name.
async fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(dir).await?;
    let target = dir.join(name);
    if tokio::fs::try_exists(&target).await.unwrap_or(false) {
        return Ok(()); // same bytes (named by their hash)
    }
    let tmp = dir.join(format!(".{name}.{}", uuid::Uuid::new_v4()));
    let mut f = tokio::fs::File::create(&tmp).await?;
    f.write_all(bytes).await?;
    f.sync_all().await?;
    drop(f);
    tokio::fs::rename(&tmp, &target).await?;
    Ok(())
}

/// The photos of order `order_id`, to users who may see it.
pub async fn list(app: &App, me: &Actor, order_id: i64) -> AppResult<Vec<PhotoView>> {
    let full = visible(app, me, order_id).await?;
    Ok(app
        .store
        .photos(full.order.id)
        .await?
        .into_iter()
        .map(PhotoView::of)
        .collect())
}

/// A photo's image.
#[derive(Debug, Clone)]
pub struct Image {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The image of photo `photo_id` (as given, checked after the order) of order `order_id`,
/// read from under `data_dir`, to users who may see the order.
pub async fn image(
    app: &App,
    me: &Actor,
    order_id: i64,
    photo_id: &str,
    data_dir: &Path,
) -> AppResult<Image> {
    let full = visible(app, me, order_id).await?;
    let pid = parse_id("photo_id", photo_id)?;
    let p = app.store.photo(pid).await?;
    if p.order_id != full.order.id || p.path.contains("..") {
        return Err(AppError::NotFound);
    }
    let bytes = tokio::fs::read(data_dir.join(&p.path))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading photo {}: {e}", p.id)))?;
    Ok(Image {
        content_type: p.content_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn sniffs_jpeg_and_png_only() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b""), None);
    }
}
