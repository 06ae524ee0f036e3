//! Photos of an order (taken in the field): the row of each stored file, written with its
//! `photo_added` event in one transaction guarded by the order's version.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::orders::{insert_event, NewEvent};
use crate::{Result, Store, StoreError};

/// A photo to record; the file is already stored at `path` (relative to the data dir).
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// Order.
    pub order_id: i64,
    /// Who uploaded it.
    pub uploaded_by: Option<i64>,
    /// When (ms).
    pub at: i64,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Path under the data dir.
    pub path: String,
    /// The name the client gave, if any.
    pub file_name: Option<String>,
}

/// A stored photo.
#[derive(Debug, Clone)]
pub struct PhotoRow {
    /// Id.
    pub id: i64,
    /// Order.
    pub order_id: i64,
    /// Who uploaded it.
    pub uploaded_by: Option<i64>,
    /// When (ms).
    pub at: i64,
    /// Content type.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Path under the data dir.
    pub path: String,
    /// The client's file name.
    pub file_name: Option<String>,
}

const COLS: &str = "id, order_id, uploaded_by, at, content_type, size, sha256, path, file_name";

fn photo_from(r: &AnyRow) -> Result<PhotoRow> {
    Ok(PhotoRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        uploaded_by: r.try_get("uploaded_by")?,
        at: r.try_get("at")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        path: r.try_get("path")?,
        file_name: r.try_get("file_name")?,
    })
}

impl Store {
    /// Records photos of an order with one `photo_added` event each (the event's data gets
    /// `photo_id`), all in one transaction; `version` is the order's version the caller saw.
    /// A concurrent change of the order gives `Conflict("orders.version")`. Returns the ids.
    pub async fn add_photos(
        &self,
        version: i64,
        photos: &[NewPhoto],
        event: &NewEvent,
    ) -> Result<Vec<i64>> {
        let Some(first) = photos.first() else {
            return Ok(Vec::new());
        };
        let order_id = first.order_id;
        let n = photos.len() as i64;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE orders SET version = $1, updated_at = $2 WHERE id = $3 AND version = $4",
        )
        .bind(version + n)
        .bind(event.at)
        .bind(order_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict("orders.version".into()));
        }
        let mut ids = Vec::with_capacity(photos.len());
        for (i, p) in photos.iter().enumerate() {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO order_photos (order_id, uploaded_by, at, content_type, size, sha256, path, file_name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(order_id)
            .bind(p.uploaded_by)
            .bind(p.at)
            .bind(&p.content_type)
            .bind(p.size)
            .bind(&p.sha256)
            .bind(&p.path)
            .bind(&p.file_name)
            .fetch_one(&mut *tx)
            .await?;
            let mut e = event.clone();
            e.data["photo_id"] = serde_json::Value::String(id.to_string());
            e.data["content_type"] = serde_json::Value::String(p.content_type.clone());
            e.data["size"] = serde_json::Value::from(p.size);
            insert_event(
                &mut crate::db::Db::Any(&mut tx),
                order_id,
                version + 1 + i as i64,
                &e,
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The photos of an order, oldest first.
    pub async fn photos(&self, order_id: i64) -> Result<Vec<PhotoRow>> {
        let q = format!("SELECT {COLS} FROM order_photos WHERE order_id = $1 ORDER BY id");
        sqlx::query(&q)
            .bind(order_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(photo_from)
            .collect()
    }

    /// One photo.
    pub async fn photo(&self, id: i64) -> Result<PhotoRow> {
        let q = format!("SELECT {COLS} FROM order_photos WHERE id = $1");
        let row = sqlx::query(&q).bind(id).fetch_optional(self.pool()).await?;
        photo_from(&row.ok_or(StoreError::NotFound)?)
    }
}
