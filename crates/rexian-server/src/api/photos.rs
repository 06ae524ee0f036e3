//! Photos of an order from the field (api-v1 "Photos"): the multipart upload is read here,
//! the rest is `rexian_app::photos`.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rexian_app::photos::{self, PhotoFile, PhotoView, MAX_PHOTOS, MAX_PHOTO_BYTES};

use super::parse_id;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Request body limit of an upload (every photo at its largest, and the form around them).
pub const UPLOAD_BODY_LIMIT: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024;

/// Whether the user's roles may add photos (the order must also be visible to them).
pub fn may_upload(me: &CurrentUser) -> bool {
    photos::may_upload(me)
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

/// Reads the photos of a multipart upload (fields named `photo`; empty file inputs are
/// skipped), checks them, stores the files and records them with their events.
pub async fn upload_photos(
    app: &AppState,
    me: &CurrentUser,
    id: &str,
    mp: Result<Multipart, MultipartRejection>,
) -> AppResult<Vec<PhotoView>> {
    let target = photos::target(app, me, parse_id("id", id)?).await?;
    let files = read_files(mp).await?;
    photos::add(app, me, target, &app.settings.data_dir, files).await
}

/// The photos of a multipart upload, checked (the order's checks come first).
async fn read_files(mp: Result<Multipart, MultipartRejection>) -> AppResult<Vec<PhotoFile>> {
    let mut mp = mp.map_err(|e| AppError::invalid("photo", e.body_text()))?;
    let mut files = Vec::new();
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
        let file = PhotoFile::new(name, bytes)?;
        if files.len() == MAX_PHOTOS {
            return Err(AppError::invalid(
                "photo",
                format!("at most {MAX_PHOTOS} photos in one upload"),
            ));
        }
        files.push(file);
    }
    Ok(files)
}

/// `POST /api/v1/orders/{id}/photos` (multipart, fields `photo`).
pub async fn upload(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
    mp: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let items = upload_photos(&app, &me, &id, mp).await?;
    Ok((StatusCode::CREATED, Json(super::Items { items })).into_response())
}

/// `GET /api/v1/orders/{id}/photos`.
pub async fn list(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> AppResult<Json<super::Items<PhotoView>>> {
    let items = photos::list(&app, &me, parse_id("id", &id)?).await?;
    Ok(Json(super::Items { items }))
}

/// `GET /api/v1/orders/{id}/photos/{pid}` (and the console's `/orders/{id}/photos/{pid}`): the
/// image, to users who may see the order.
pub async fn get(
    State(app): State<AppState>,
    Extension(me): Extension<CurrentUser>,
    Path((id, pid)): Path<(String, String)>,
) -> AppResult<Response> {
    let oid = parse_id("id", &id)?;
    let image = photos::image(&app, &me, oid, &pid, &app.settings.data_dir).await?;
    Ok((
        [
            (header::CONTENT_TYPE, image.content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
        ],
        image.bytes,
    )
        .into_response())
}
