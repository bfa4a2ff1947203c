//! The store's one error type: Diesel and pool errors are classified here, once.

/// What went wrong talking to PostgreSQL, classified for the layers above.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist for this tenant.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; carries the constraint name.
    #[error("already exists ({0})")]
    AlreadyExists(String),
    /// A foreign key refused the write: the row it names does not exist (in this tenant);
    /// carries the constraint name.
    #[error("missing reference ({0})")]
    MissingReference(String),
    /// PostgreSQL refused a value as text (a NUL character, an invalid escape): bad input that
    /// slipped past the field checks.
    #[error("text PostgreSQL cannot store: {0}")]
    InvalidText(String),
    /// A concurrent transaction won (serialization failure or deadlock); safe to retry.
    #[error("conflict with a concurrent transaction")]
    Conflict,
    /// The database cannot be reached or the pool timed out.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A stored row does not parse into a domain value (edited by hand, or a bug).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("query failed: {0}")]
    Query(String),
}

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match error {
            E::NotFound => StoreError::NotFound,
            E::DatabaseError(K::UniqueViolation, info) => {
                StoreError::AlreadyExists(info.constraint_name().unwrap_or_default().to_owned())
            }
            E::DatabaseError(K::ForeignKeyViolation, info) => {
                StoreError::MissingReference(info.constraint_name().unwrap_or_default().to_owned())
            }
            E::DatabaseError(K::SerializationFailure, _) => StoreError::Conflict,
            E::DatabaseError(K::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            // SQLSTATE 22021 / 22P05 carry no Diesel kind: recognise them by message.
            E::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence")
                    || info
                        .message()
                        .contains("unsupported Unicode escape sequence") =>
            {
                StoreError::InvalidText(info.message().to_owned())
            }
            E::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                StoreError::Conflict
            }
            other => StoreError::Query(other.to_string()),
        }
    }
}
