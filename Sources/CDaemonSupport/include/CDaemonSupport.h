#pragma once
// C glue for the launch daemon: per-thread file-system credentials, so that the daemon (root)
// touches a caller's files with exactly the caller's rights.
#include <sys/types.h>

/// Room for a Unix-socket peer's supplementary groups as SO_PEERGROUPS (option 59) writes them:
/// the kernel's sorted gid list, zero-filled after the last one. A peer with more groups than
/// this makes getsockopt fail with ERANGE.
#define GSSA_PEER_GROUPS_MAX 256
#define GSSA_SO_PEERGROUPS 59
typedef struct {
    gid_t gids[GSSA_PEER_GROUPS_MAX];
} gssa_peer_groups_t;

/// Switches the *calling thread only* to file-system uid `uid`, gid `gid` and the given
/// supplementary groups (raw syscalls: glibc's setgroups would change every thread).
/// While switched, the thread's file-system capabilities (DAC override, …) are dropped, so
/// every open, mkdir, rename and unlink is checked exactly as for the caller.
/// Returns 0, or an errno value (nothing is left half switched: on failure the thread is back
/// to fsuid 0 / fsgid 0 / no supplementary groups, or the call reports EPERM for the caller to
/// abandon the thread).
int gssa_thread_become(uid_t uid, gid_t gid, const gid_t *groups, int count);

/// The calling thread's current fsuid and fsgid.
uid_t gssa_thread_fsuid(void);
gid_t gssa_thread_fsgid(void);

/// Gives the calling thread its own cwd/umask (unshare CLONE_FS) and makes `dirfd` its cwd, so
/// that relative paths (as libarchive writes them) resolve beneath an opened directory and not
/// through a path someone may swap. 0 or an errno value.
int gssa_thread_chdir_private(int dirfd, mode_t umask_value);

/// renameat2(..., RENAME_NOREPLACE). 0 or an errno value.
int gssa_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
