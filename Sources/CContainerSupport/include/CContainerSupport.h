#pragma once
// C glue for the in-container runner (gssa-container): libarchive headers plus the few
// POSIX calls whose macros or varargs Swift cannot import directly.
// libarchive is linked statically (see Package.swift) so the runner needs no libarchive13.
#include <archive.h>
#include <archive_entry.h>
#include <sys/types.h>

/// Blocks `signals` in the calling thread and returns a non-blocking, close-on-exec signalfd
/// delivering them, or -1 (errno set).
int gssa_signalfd_open(const int *signals, int count);

/// Reads one pending signal from a signalfd: returns the signal number, 0 if none, -1 on error.
int gssa_signalfd_read(int fd);

/// Creates a listening, non-blocking Unix stream socket at `path` (unlinking a stale one) with
/// permission `mode`. Returns the fd, -1 (errno set) or -2 when the path is too long.
int gssa_unix_listen(const char *path, int backlog, unsigned int mode);

/// Spawns `argv` (PATH lookup on argv[0], as execvp) in directory `cwd` with `envp`, stdin from
/// /dev/null, stdout/stderr onto the given fds, in its own process group, with default signal
/// handling and an empty signal mask. Returns 0 and sets *pid, or an errno value (also when the
/// exec fails).
///
/// The child raises its own OOM score adjustment to 1000 before the exec, so that in a
/// memory-limited container the kernel kills the model rather than the runner that reports it;
/// the caller's score is never touched. `*oom_first` (when not NULL) says whether that took: 0
/// where /proc is missing.
int gssa_spawn(char *const argv[], char *const envp[], const char *cwd, int stdout_fd, int stderr_fd, pid_t *pid,
               int *oom_first);

/// Exit code of a wait status: the code for a normal exit, 128 + signal for a killed child.
int gssa_exit_code(int wait_status);

/// The signal that killed the child, or 0.
int gssa_term_signal(int wait_status);

/// Sets O_NONBLOCK on fd; 0 or -1.
int gssa_set_nonblocking(int fd);

/// pipe2(O_CLOEXEC); 0 or -1.
int gssa_pipe_cloexec(int fds[2]);

/// accept4(..., SOCK_NONBLOCK | SOCK_CLOEXEC); the fd or -1.
int gssa_accept(int listener);

/// Unblocks `signals` in the calling thread (undoes gssa_signalfd_open's blocking).
void gssa_signals_unblock(const int *signals, int count);
