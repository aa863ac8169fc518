//! Errors of the library. Every input error names the file, the row or key, and the field.

use std::fmt;

/// Where in the user's input something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File (or "built-in example").
    pub file: String,
    /// 1-based line of a CSV file (the header is line 1), when known.
    pub row: Option<usize>,
    /// A key inside a JSON or TOML file, when known.
    pub key: Option<String>,
    /// The column or field.
    pub field: Option<String>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(file: impl Into<String>) -> Self {
        Location { file: file.into(), row: None, key: None, field: None }
    }
    /// This location at a CSV row.
    pub fn row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }
    /// This location at a key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
    /// This location at a field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.row {
            write!(f, ": row {r}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key '{k}'")?;
        }
        if let Some(c) = &self.field {
            write!(f, ", field '{c}'")?;
        }
        Ok(())
    }
}

/// The library's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's input (data, model file, size, option) is wrong.
    #[error("{at}: {msg}")]
    Input { at: Location, msg: String },
    /// An input error that has no single file (an option, a selection).
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    /// (The I/O error is part of the message, not a source: printed with its chain, the
    /// message would say it twice.)
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    /// A fit could not be carried out.
    #[error("{0}")]
    Fit(String),
    /// A figure could not be drawn.
    #[error("{0}")]
    Plot(String),
    /// Sampling was interrupted by the user.
    #[error("interrupted: nothing was saved")]
    Interrupted,
}

impl Error {
    /// An input error at a location.
    pub fn input(at: Location, msg: impl Into<String>) -> Self {
        Error::Input { at, msg: msg.into() }
    }
    /// An I/O error on a path.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), error: source }
    }
    /// Whether the error is the user's input (exit code 2) rather than a failure of the fit.
    pub fn is_input(&self) -> bool {
        matches!(self, Error::Input { .. } | Error::Usage(_) | Error::Io { .. })
    }
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
