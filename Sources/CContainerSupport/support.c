#define _GNU_SOURCE
#include "CContainerSupport.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int gssa_signalfd_open(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int gssa_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}

int gssa_unix_listen(const char *path, int backlog, unsigned int mode) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) return -2;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(path, (mode_t)mode) != 0 ||
        listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* The program `name` names, found as execvp would (PATH of this process, default /bin:/usr/bin)
   but before the fork: nothing between fork and exec may allocate. 0, or an errno value. */
static int resolve_program(const char *name, char *path, size_t size) {
    if (name == NULL || name[0] == 0) return ENOENT;
    if (strchr(name, '/') != NULL) {
        if (strlen(name) >= size) return ENAMETOOLONG;
        strcpy(path, name);
        return 0;
    }
    const char *search = getenv("PATH");
    if (search == NULL || search[0] == 0) search = "/bin:/usr/bin";
    int found_error = ENOENT;
    for (const char *entry = search; ; ) {
        const char *colon = strchr(entry, ':');
        size_t length = colon ? (size_t)(colon - entry) : strlen(entry);
        const char *directory = length == 0 ? "." : entry;
        size_t directory_length = length == 0 ? 1 : length;
        if (directory_length + 1 + strlen(name) < size) {
            memcpy(path, directory, directory_length);
            path[directory_length] = '/';
            strcpy(path + directory_length + 1, name);
            if (access(path, X_OK) == 0) return 0;
            if (errno == EACCES) found_error = EACCES;
        }
        if (colon == NULL) break;
        entry = colon + 1;
    }
    return found_error;
}

/* Writes all of `length` bytes, or gives up; async-signal-safe. */
static void write_fully(int fd, const void *bytes, size_t length) {
    const char *cursor = bytes;
    while (length > 0) {
        ssize_t n = write(fd, cursor, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        cursor += n;
        length -= (size_t)n;
    }
}

int gssa_spawn(char *const argv[], char *const envp[], const char *cwd, int stdout_fd, int stderr_fd, pid_t *pid,
               int *oom_first) {
    char program[PATH_MAX];
    int rc = resolve_program(argv[0], program, sizeof program);
    if (rc != 0) return rc;
    /* The child reports on this pipe: one byte (did the OOM score take), then, only if exec fails,
       its errno. A successful exec closes the pipe. */
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    /* Every signal blocked across the fork, so that no handler of this process runs in the child
       before the child has put the defaults back. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t child = fork();
    if (child == 0) {
        /* The child: async-signal-safe calls only. */
        close(report[0]);
        struct sigaction defaults;
        memset(&defaults, 0, sizeof defaults);
        defaults.sa_handler = SIG_DFL;
        for (int signal_number = 1; signal_number < NSIG; signal_number++) {
            if (signal_number != SIGKILL && signal_number != SIGSTOP) sigaction(signal_number, &defaults, NULL);
        }
        /* The model, and everything it forks, is the kernel's first choice when the container runs
           out of memory (raising one's own score needs no privilege), so the runner lives on to
           report the kill. */
        char took = 0;
        int score = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (score >= 0) {
            took = write(score, "1000", 4) == 4;
            close(score);
        }
        write_fully(report[1], &took, 1);
        int failure = 0;
        int null_fd = open("/dev/null", O_RDONLY);
        if (setpgid(0, 0) != 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 ||
            dup2(stderr_fd, 2) < 0 || chdir(cwd) != 0) {
            failure = errno;
        } else {
            if (null_fd > 2) close(null_fd);
            sigset_t empty;
            sigemptyset(&empty);
            sigprocmask(SIG_SETMASK, &empty, NULL);
            execve(program, argv, envp);
            failure = errno;
        }
        write_fully(report[1], &failure, sizeof failure);
        _exit(127);
    }
    int fork_error = child < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (child < 0) {
        close(report[0]);
        return fork_error;
    }
    /* Read until the pipe closes: the exec's success, or the child's errno. */
    unsigned char received[1 + sizeof(int)];
    size_t got = 0;
    while (got < sizeof received) {
        ssize_t n = read(report[0], received + got, sizeof received - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(report[0]);
    if (oom_first) *oom_first = got >= 1 && received[0] == 1;
    if (got == sizeof received) {
        int failure;
        memcpy(&failure, received + 1, sizeof failure);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return failure != 0 ? failure : EIO;
    }
    *pid = child;
    return 0;
}

int gssa_exit_code(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 1;
}

int gssa_term_signal(int wait_status) {
    return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
}

int gssa_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int gssa_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int gssa_accept(int listener) { return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

void gssa_signals_unblock(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
