#define _GNU_SOURCE
#include "CDaemonSupport.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

uid_t gssa_thread_fsuid(void) { return (uid_t)syscall(SYS_setfsuid, (uid_t)-1); }
gid_t gssa_thread_fsgid(void) { return (gid_t)syscall(SYS_setfsgid, (gid_t)-1); }

int gssa_thread_become(uid_t uid, gid_t gid, const gid_t *groups, int count) {
    // Groups and fsgid first: both need CAP_SETGID, which does not depend on the fsuid.
    if (syscall(SYS_setgroups, (size_t)count, groups) != 0) return errno;
    syscall(SYS_setfsgid, gid);
    if (gssa_thread_fsgid() != gid) return EPERM;
    syscall(SYS_setfsuid, uid);
    if (gssa_thread_fsuid() != uid) return EPERM;
    return 0;
}

int gssa_thread_chdir_private(int dirfd, mode_t umask_value) {
    if (unshare(CLONE_FS) != 0) return errno;
    if (fchdir(dirfd) != 0) return errno;
    umask(umask_value);
    return 0;
}

int gssa_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    if (syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE) != 0) return errno;
    return 0;
}
