//! Output files (`--out`): checked before the card is used, written safely.
//!
//! - A target that exists and is not a regular file (a symbolic link, a directory, a named pipe,
//!   a device node, a socket) is refused, never replaced and never written through. The check
//!   runs before any card I/O, so no PIN is spent on output that will not be saved.
//! - Writing creates a new temporary file in the target's directory (`O_CREAT|O_EXCL`, which
//!   never follows a symbolic link), fills and syncs it, checks the target again, and renames
//!   the temporary file over the target: the target is replaced only when complete.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::exit::{self, Failure};
use crate::i18n::{t, FileKind, Msg};

/// What the entry at `path` is, without following a symbolic link; `None` when nothing is
/// there.
fn kind_at(path: &Path) -> Result<Option<FileKind>, Failure> {
    let m = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::new(exit::FAILURE, t(Msg::CannotWrite(path, &e)))),
    };
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Directory
    } else if ft.is_file() {
        FileKind::File
    } else {
        special_kind(&ft)
    };
    Ok(Some(kind))
}

#[cfg(unix)]
fn special_kind(ft: &fs::FileType) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        FileKind::Fifo
    } else if ft.is_block_device() || ft.is_char_device() {
        FileKind::Device
    } else if ft.is_socket() {
        FileKind::Socket
    } else {
        FileKind::Other
    }
}

#[cfg(not(unix))]
fn special_kind(_ft: &fs::FileType) -> FileKind {
    FileKind::Other
}

/// Refuses `path` when it exists and is not a regular file (exit code [`exit::USAGE`]).
pub fn refuse_special(path: &Path) -> Result<(), Failure> {
    match kind_at(path)? {
        None | Some(FileKind::File) => Ok(()),
        Some(k) => Err(Failure::new(exit::USAGE, t(Msg::NotRegularFile(path, k)))),
    }
}

/// The directory a file at `path` lives in.
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Creates a new temporary file beside `path` (never an existing one, never through a
/// symbolic link), owner-only when `private`.
fn create_temp(path: &Path, private: bool) -> std::io::Result<(PathBuf, fs::File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = None;
    for i in 0..16u32 {
        let tmp = parent(path).join(format!(".{name}.myna-{}-{i}.tmp", std::process::id()));
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        match o.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file name left")))
}

/// Checks, before the card is used, that `path` can be written: refuses a special file, and
/// creates and removes a temporary file in its directory.
pub fn check_writable(path: &Path) -> Result<(), Failure> {
    refuse_special(path)?;
    let (tmp, f) = create_temp(path, true)
        .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotWrite(path, &e))))?;
    drop(f);
    let _ = fs::remove_file(&tmp);
    Ok(())
}

/// The pre-flight of a command that reads `input` and writes `out`, before the card is used (so
/// no PIN is spent on a run that cannot finish): `input` opens for reading, `out` is not
/// `input` (compared as given and canonicalized, so a relative path or a symbolic link to the
/// input is caught too), and `out` can be written ([`check_writable`]). Returns the input,
/// open.
pub fn check_input_output(input: &Path, out: &Path) -> Result<fs::File, Failure> {
    let file = fs::File::open(input)
        .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotRead(input, &e))))?;
    let same = input == out
        || matches!(
            (fs::canonicalize(input), fs::canonicalize(out)),
            (Ok(a), Ok(b)) if a == b
        );
    if same {
        return Err(Failure::new(exit::USAGE, t(Msg::SameFile)));
    }
    // A symbolic link, FIFO, device... is refused, and the directory must take a new file.
    check_writable(out)?;
    Ok(file)
}

/// Writes `bytes` to `path` through a temporary file and a rename, refusing a special file;
/// owner-only on Unix when `private`.
pub fn write(path: &Path, bytes: &[u8], private: bool) -> Result<(), Failure> {
    write_with(path, private, |f| {
        f.write_all(bytes)
            .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotWrite(path, &e))))
    })
}

/// As [`write()`], with the content written by `fill` (for output streamed as it is made): the
/// temporary file is removed and the target left alone when `fill` fails.
pub fn write_with<T>(
    path: &Path,
    private: bool,
    fill: impl FnOnce(&mut fs::File) -> Result<T, Failure>,
) -> Result<T, Failure> {
    refuse_special(path)?;
    let (tmp, mut f) = create_temp(path, private)
        .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotWrite(path, &e))))?;
    let r = fill(&mut f)
        .and_then(|v| {
            f.sync_all()
                .map(|()| v)
                .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotWrite(path, &e))))
        })
        // Again just before the rename: something may have appeared there meanwhile.
        .and_then(|v| refuse_special(path).map(|()| v))
        .and_then(|v| {
            fs::rename(&tmp, path)
                .map(|()| v)
                .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotWrite(path, &e))))
        });
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r
}

/// Prepares the directory `--out DIR` of `surface`: refuses a path that exists and is not a
/// directory (a symbolic link included), creates it when missing, and refuses any of `files`
/// in it that exists and is not a regular file. All before the card is used.
pub fn prepare_dir(dir: &Path, files: &[String]) -> Result<(), Failure> {
    match kind_at(dir)? {
        None => fs::create_dir_all(dir)
            .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotCreateDir(dir, &e))))?,
        Some(FileKind::Directory) => {}
        Some(k) => return Err(Failure::new(exit::USAGE, t(Msg::NotADirectory(dir, k)))),
    }
    for f in files {
        refuse_special(&dir.join(f))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_pre_flight_refuses_a_missing_input_the_input_itself_and_a_special_output() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("in");
        fs::write(&input, b"data").unwrap();
        // Missing input: a failure to read, nothing created.
        let missing = d.path().join("missing");
        let out = d.path().join("out");
        let e = check_input_output(&missing, &out).unwrap_err();
        assert_eq!(e.code, exit::FAILURE);
        assert!(!out.exists());
        // The same file, as given, through a symbolic link, and through `..`.
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let dotted = d.path().join("sub");
        fs::create_dir(&dotted).unwrap();
        for o in [input.clone(), link, dotted.join("..").join("in")] {
            let e = check_input_output(&input, &o).unwrap_err();
            assert_eq!(e.code, exit::USAGE, "{o:?}");
        }
        assert_eq!(fs::read(&input).unwrap(), b"data");
        // An output that is a directory is refused too.
        assert!(check_input_output(&input, &dotted).is_err());
        // A fresh output: the input comes back open, and nothing is left behind.
        let mut f = check_input_output(&input, &out).unwrap();
        let mut read = String::new();
        std::io::Read::read_to_string(&mut f, &mut read).unwrap();
        assert_eq!(read, "data");
        assert!(!out.exists());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_symlink_is_refused_and_left_alone() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::write(&real, b"keep").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = write(&link, b"new", false).unwrap_err();
        assert_eq!(e.code, exit::USAGE);
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"keep");
        // A regular file is replaced, and no temporary file is left.
        write(&real, b"new", true).unwrap();
        assert_eq!(fs::read(&real).unwrap(), b"new");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 2);
    }
}
