//! What keeps a container's processes (and its preStop hooks) from changing the host.
//!
//! Containers run the scenario's commands as uid 0. Their mount namespace starts as a copy of
//! the lab's, which is the host's root: so, before `exec`, a container makes that whole tree
//! read-only ([`read_only_tree`]) and then mounts its private tmpfs and volumes on top; keeps
//! only the usual device nodes openable (`/dev/null`, `/dev/zero`, …: [`no_devices_tree`] then
//! [`allow_device`] on self-bind mounts of those), and gives up every capability a container
//! runtime does not grant by default ([`drop_capabilities`]), so it cannot remount, mount,
//! create device nodes, load modules or change the network. All functions here run in a
//! freshly cloned child of a multi-threaded process: raw system calls only.
use std::ffi::CStr;

// From <linux/mount.h>; kept here so the code does not depend on the libc crate's coverage.
const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NODEV: u64 = 0x4;
const AT_RECURSIVE: libc::c_uint = 0x8000;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

fn mount_setattr(path: &CStr, flags: libc::c_uint, set: u64, clear: u64) -> bool {
    let attr = MountAttr { attr_set: set, attr_clr: clear, propagation: 0, userns_fd: 0 };
    // SAFETY: a valid C string and a properly sized `mount_attr`.
    unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        ) == 0
    }
}

/// Makes every mount from `/` down read-only, in this (private) mount namespace.
pub fn read_only_tree() -> bool {
    mount_setattr(c"/", AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0)
}

/// No device node under `dir` can be opened any more (mounts below included).
pub fn no_devices_tree(dir: &CStr) -> bool {
    mount_setattr(dir, AT_RECURSIVE, MOUNT_ATTR_NODEV, 0)
}

/// The top mount at `path` (a self-bind of one device node) may be opened again.
pub fn allow_device(path: &CStr) -> bool {
    mount_setattr(path, 0, 0, MOUNT_ATTR_NODEV)
}

/// The capabilities Docker grants a container by default, minus `CAP_MKNOD` and `CAP_NET_RAW`:
/// enough for nginx, php-fpm and supervisord to drop to their users and bind port 80.
const KEPT: &[u32] = &[
    0,  // CAP_CHOWN
    1,  // CAP_DAC_OVERRIDE
    3,  // CAP_FOWNER
    4,  // CAP_FSETID
    5,  // CAP_KILL
    6,  // CAP_SETGID
    7,  // CAP_SETUID
    8,  // CAP_SETPCAP
    10, // CAP_NET_BIND_SERVICE
    18, // CAP_SYS_CHROOT
    29, // CAP_AUDIT_WRITE
    31, // CAP_SETFCAP
];

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Drops every capability but [`KEPT`] from the bounding, effective, permitted, inheritable
/// and ambient sets. A root program exec'd afterwards gets exactly [`KEPT`].
pub fn drop_capabilities() -> bool {
    let mut mask = [0u32; 2];
    for &cap in KEPT {
        mask[(cap / 32) as usize] |= 1 << (cap % 32);
    }
    // SAFETY: prctl and capset with valid arguments; raw system calls only.
    unsafe {
        for cap in 0..64u32 {
            if mask[(cap / 32) as usize] & (1 << (cap % 32)) != 0 {
                continue;
            }
            // EINVAL: beyond the kernel's last capability.
            if libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) != 0
                && *libc::__errno_location() != libc::EINVAL
            {
                return false;
            }
        }
        libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong, 0, 0, 0);
        let header = CapHeader { version: 0x2008_0522, pid: 0 };
        let data = [0, 1].map(|i| CapData {
            effective: mask[i],
            permitted: mask[i],
            inheritable: mask[i],
        });
        libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr()) == 0
    }
}
