//! Photos of an order from the field (api-v1 "Photos"): multipart upload with size and type
//! checks (JPEG or PNG by their magic bytes, at most [`MAX_PHOTO_BYTES`] each), stored under the
//! data dir, one row and one `photo_added` event per file; served back only to users who may see
//! the order.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rexian_domain::model::{Role, Status};
use rexian_store::orders::NewEvent;
use rexian_store::photos::{NewPhoto, PhotoRow};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::parse_id;
use crate::api::orders::visible_order;
use crate::auth::CurrentUser;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Largest photo accepted, bytes.
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// Most photos in one upload.
pub const MAX_PHOTOS: usize = 6;
/// Request body limit of an upload (every photo at its largest, and the form around them).
pub const UPLOAD_BODY_LIMIT: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024;

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
pub fn may_upload(me: &CurrentUser) -> bool {
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

fn multipart_error(e: impl std::fmt::Display) -> AppError {
    let m = e.to_string();
    if m.contains("limit") || m.contains("large") {
        AppError::invalid(
            "photo",
            format!(
                "the upload is too large: at most {MAX_PHOTOS} photos of {} MB each",
                MAX_PHOTO_BYTES / (1024 * 1024)
            ),
        )
    } else {
        AppError::invalid(
            "photo",
            format!("the upload is not a readable multipart form: {m}"),
        )
    }
}

/// The photo JSON of the API.
pub fn photo_json(order_id: i64, p: &PhotoRow) -> Value {
    json!({
        "id": p.id.to_string(),
        "order_id": order_id.to_string(),
        "content_type": p.content_type,
        "size": p.size,
        "sha256": p.sha256,
        "file_name": p.file_name,
        "uploaded_by": p.uploaded_by.map(|x| x.to_string()),
        "at": crate::api::orders::rfc3339(p.at),
        "url": format!("/api/v1/orders/{order_id}/photos/{}", p.id),
    })
}

/// Reads the photos of a multipart upload (fields named `photo`; empty file inputs are
/// skipped), checks them, stores the files and records them with their events. Returns the rows.
pub async fn upload_photos(
    app: &AppState,
    me: &CurrentUser,
    id: &str,
    mp: Result<Multipart, MultipartRejection>,
) -> AppResult<Vec<PhotoRow>> {
    let full = visible_order(app, me, id).await?;
    if !may_upload(me) {
        return Err(AppError::Forbidden);
    }
    let o = &full.order;
    if o.status == Status::Closed.as_str() || o.status == Status::Cancelled.as_str() {
        return Err(AppError::InvalidTransition(format!(
            "the order is {}: no photos can be added",
            o.status
        )));
    }
    let mut mp = mp.map_err(|e| AppError::invalid("photo", e.body_text()))?;
    let mut files: Vec<(Vec<u8>, &'static str, Option<String>)> = Vec::new();
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("photo") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| {
                n.chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
                return Err(AppError::invalid(
                    "photo",
                    format!(
                        "photo {} is larger than {} MB",
                        name.as_deref().unwrap_or(""),
                        MAX_PHOTO_BYTES / (1024 * 1024)
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() && name.is_none() {
            continue; // an empty file input
        }
        let ctype = sniff(&bytes).ok_or_else(|| {
            AppError::invalid(
                "photo",
                format!(
                    "photo {} is not a JPEG or PNG image",
                    name.as_deref().unwrap_or("")
                ),
            )
        })?;
        if files.len() == MAX_PHOTOS {
            return Err(AppError::invalid(
                "photo",
                format!("at most {MAX_PHOTOS} photos in one upload"),
            ));
        }
        files.push((bytes, ctype, name));
    }
    if files.is_empty() {
        return Err(AppError::invalid("photo", "photo is required"));
    }
    let now = ms(app.clock.now());
    let dir = app.settings.data_dir.join("photos").join(o.id.to_string());
    let mut rows = Vec::new();
    for (bytes, ctype, name) in files {
        let sha = hex::encode(Sha256::digest(&bytes));
        let ext = if ctype == "image/png" { "png" } else { "jpg" };
        let rel = format!("photos/{}/{sha}.{ext}", o.id);
        write_durably(&dir, &format!("{sha}.{ext}"), &bytes)
            .await
            .map_err(|e| AppError::Internal(e.context("storing a photo")))?;
        rows.push(NewPhoto {
            order_id: o.id,
            uploaded_by: Some(me.id),
            at: now,
            content_type: ctype.to_owned(),
            size: bytes.len() as i64,
            sha256: sha,
            path: rel,
            file_name: name,
        });
    }
    let event = NewEvent {
        kind: "photo_added".into(),
        actor_id: Some(me.id),
        at: now,
        data: json!({}),
    };
    // The files are stored; when a timer or a step changed the order meanwhile, the photos
    // join it as it now is (unless it closed), and only a third clash in a row answers 409.
    let mut current = o.clone();
    let mut attempt = 1;
    let ids = loop {
        match app.store.add_photos(current.version, &rows, &event).await {
            Err(rexian_store::StoreError::Conflict(c)) if c == "orders.version" && attempt < 3 => {
                attempt += 1;
                current = app.store.order(current.id).await?;
                if current.status == Status::Closed.as_str()
                    || current.status == Status::Cancelled.as_str()
                {
                    return Err(AppError::InvalidTransition(format!(
                        "the order is {}: no photos can be added",
                        current.status
                    )));
                }
            }
            Err(rexian_store::StoreError::Conflict(_)) => {
                return Err(AppError::Conflict {
                    field: None,
                    message: "the order changed meanwhile; retry".into(),
                })
            }
            other => break other?,
        }
    };
    app.notify(&current);
    let mut out = Vec::new();
    for pid in ids {
        out.push(app.store.photo(pid).await?);
    }
    Ok(out)
}

/// Writes a file through a temporary name, synced before it takes its name.
async fn write_durably(dir: &std::path::Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
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

/// `POST /api/v1/orders/{id}/photos` (multipart, fields `photo`).
pub async fn upload(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    mp: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let rows = upload_photos(&app, &me, &id, mp).await?;
    let oid = parse_id("id", &id)?;
    let items: Vec<Value> = rows.iter().map(|p| photo_json(oid, p)).collect();
    Ok((StatusCode::CREATED, Json(json!({ "items": items }))).into_response())
}

/// `GET /api/v1/orders/{id}/photos`.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let full = visible_order(&app, &me, &id).await?;
    let items: Vec<Value> = app
        .store
        .photos(full.order.id)
        .await?
        .iter()
        .map(|p| photo_json(full.order.id, p))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/orders/{id}/photos/{pid}` (and the console's `/orders/{id}/photos/{pid}`): the
/// image, to users who may see the order.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, pid)): Path<(String, String)>,
) -> AppResult<Response> {
    let full = visible_order(&app, &me, &id).await?;
    let pid = parse_id("photo_id", &pid)?;
    let p = app.store.photo(pid).await?;
    if p.order_id != full.order.id || p.path.contains("..") {
        return Err(AppError::NotFound);
    }
    let bytes = tokio::fs::read(app.settings.data_dir.join(&p.path))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading photo {}: {e}", p.id)))?;
    Ok((
        [
            (header::CONTENT_TYPE, p.content_type.clone()),
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
        ],
        bytes,
    )
        .into_response())
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
