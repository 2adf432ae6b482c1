//! The SQLite database holds password hashes, sealed secrets and token hashes: its directory is
//! created 0700 and the database (and so its WAL and shared-memory files, which SQLite creates
//! with the database's mode) 0600, whatever the umask.

use super::StoreError;
use std::path::Path;

/// Creates `dir` (and missing parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates the database file 0600 before SQLite opens it, and tightens an existing one (and
/// its `-wal` / `-shm` companions).
pub(super) fn prepare_sqlite_file(path: &Path) -> Result<(), StoreError> {
    let setup = |e: std::io::Error| StoreError::Setup(format!("cannot prepare {}: {e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        create_private_dir(parent).map_err(setup)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(setup)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(setup)?;
            }
        }
    }
    Ok(())
}
