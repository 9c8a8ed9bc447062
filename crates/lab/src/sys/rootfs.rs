//! `/lameduck` in every container, without touching the host's root filesystem.
//!
//! Manifests call `/lameduck prestop …` and `/lameduck run …` because the images put the binary
//! there. The lab's own executable may live anywhere, including under `/tmp` or `/run`, which
//! every container covers with its own tmpfs. So, inside the lab's private mount namespace
//! only, the lab gives itself a new root: a tmpfs holding one recursive bind mount per entry of
//! the real `/` (symlinks copied as symlinks), plus `/lameduck` bind-mounted from the lab's
//! executable, and moves it on top of `/`. Every path resolves as before; containers inherit the
//! root and so see `/lameduck`, whatever they mount over `/tmp`. Nothing is created on the host:
//! the tmpfs and the bind mounts vanish with the lab's mount namespace.
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{Context, Result};

/// Where `lameduck` is found inside the lab and its containers.
pub const LAMEDUCK_PATH: &str = "/lameduck";

fn c(path: &Path) -> Result<CString> {
    Ok(CString::new(path.as_os_str().as_bytes())?)
}

fn check(ret: libc::c_int, what: impl FnOnce() -> String) -> Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error()).with_context(what)
    }
}

fn bind(src: &Path, dst: &Path) -> Result<()> {
    let (s, d) = (c(src)?, c(dst)?);
    // SAFETY: valid C strings; a bind mount inside the lab's private mount namespace.
    let ret = unsafe {
        libc::mount(
            s.as_ptr(),
            d.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | libc::MS_REC,
            std::ptr::null(),
        )
    };
    check(ret, || format!("bind {} onto {}", src.display(), dst.display()))
}

/// Builds the new root on a tmpfs mounted at `mountpoint` (an existing top-level directory,
/// left empty in the new root) and enters it. `self_exe` becomes `/lameduck`.
pub fn enter_root_with_lameduck(mountpoint: &Path, self_exe: &Path) -> Result<()> {
    let cwd = std::env::current_dir().ok();
    let target = c(mountpoint)?;
    // SAFETY: mounting a tmpfs over an existing directory, inside the lab's mount namespace.
    let ret = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            c"mode=0755".as_ptr().cast(),
        )
    };
    check(ret, || format!("mount a tmpfs on {} for the lab's root", mountpoint.display()))?;
    let skip = mountpoint.file_name();
    for entry in std::fs::read_dir("/").context("list /")? {
        let entry = entry?;
        let name = entry.file_name();
        let (src, dst) = (Path::new("/").join(&name), mountpoint.join(&name));
        if name == "lameduck" {
            continue;
        }
        let kind = entry.file_type()?;
        if Some(name.as_os_str()) == skip {
            std::fs::create_dir(&dst)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if kind.is_dir() {
            std::fs::create_dir(&dst)?;
            bind(&src, &dst)?;
        } else {
            std::fs::File::create(&dst)?;
            bind(&src, &dst)?;
        }
    }
    let lameduck = mountpoint.join("lameduck");
    std::fs::File::create(&lameduck)?;
    bind(self_exe, &lameduck)?;
    // Moved on top of `/` (as switch_root does), not just chroot'ed into: `setns` into a
    // container's mount namespace (how preStop hooks enter) resets the root to the topmost
    // mount on `/`, so the hooks see the same tree.
    std::env::set_current_dir(mountpoint).context("chdir into the lab's root")?;
    // SAFETY: moving the tmpfs built above onto `/`, in the lab's private mount namespace.
    let ret = unsafe {
        libc::mount(c".".as_ptr(), c"/".as_ptr(), std::ptr::null(), libc::MS_MOVE, std::ptr::null())
    };
    check(ret, || "move the lab's root onto /".into())?;
    // SAFETY: chroot into the moved tree (the current directory).
    check(unsafe { libc::chroot(c".".as_ptr()) }, || "chroot into the lab's root".into())?;
    let back = cwd.filter(|d| std::env::set_current_dir(d).is_ok());
    if back.is_none() {
        std::env::set_current_dir("/").context("chdir /")?;
    }
    Ok(())
}
