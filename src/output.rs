//! Writing outputs: atomically (a temp file in the same folder, then a rename), and only when the bytes
//! differ, so watchers and CI caches see no change when nothing changed.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// What writing one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file was created or its bytes changed.
    Changed,
    /// The file already had these exact bytes; it was not touched.
    Unchanged,
}

/// Writes `bytes` to `path` atomically unless it already holds exactly them. Parent folders are
/// created. Readers see either the old or the new file, never a partial one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Written> {
    // Compare sizes first: reading a big output back is only worth it when it could be equal.
    if std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && let Ok(existing) = std::fs::read(path)
        && existing == bytes
    {
        return Ok(Written::Unchanged);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".hintgen-{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_data()
        .map_err(|e| Error::io(tmp.path(), e))?;
    // Keep the usual permissions of a generated file (tempfile creates 0600).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode());
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode));
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(Written::Changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.json");
        assert_eq!(write_atomic(&p, b"x\n").unwrap(), Written::Changed);
        assert_eq!(write_atomic(&p, b"x\n").unwrap(), Written::Unchanged);
        assert_eq!(write_atomic(&p, b"y\n").unwrap(), Written::Changed);
        assert_eq!(std::fs::read(&p).unwrap(), b"y\n");
        let leftovers = std::fs::read_dir(dir.path().join("a")).unwrap().count();
        assert_eq!(leftovers, 1);
    }
}
