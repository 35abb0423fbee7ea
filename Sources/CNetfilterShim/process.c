// Running a helper program (iptables-restore, iptables-save) to its end: posix_spawn, its
// standard input written and both outputs read through poll, then waitpid. Foundation's
// Process was seen to miss the end of a short-lived child and wait forever.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "CNetfilterShim.h"

extern char **environ;

/// Appends to an output buffer. Returns 0, or ENOMEM.
static int append(CNetfilterShim_output *buffer, const char *bytes, size_t length) {
    if (buffer->length + length + 1 > buffer->capacity) {
        size_t capacity = (buffer->capacity + length + 1) * 2;
        char *grown = realloc(buffer->bytes, capacity);
        if (grown == NULL) return ENOMEM;
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length += length;
    buffer->bytes[buffer->length] = 0;
    return 0;
}

void CNetfilterShim_output_free(CNetfilterShim_output *buffer) {
    free(buffer->bytes);
    buffer->bytes = NULL;
    buffer->length = buffer->capacity = 0;
}

/// Closes a descriptor we own and marks it closed. Errors from close on a pipe end are not
/// actionable (the descriptor is released either way on Linux), so they are ignored here.
static void close_fd(int *fd) {
    if (*fd < 0) return;
    (void)close(*fd);
    *fd = -1;
}

/// Starts the program with the pipe ends as its standard descriptors, with no signal blocked
/// and every signal's default action (the caller's process may block or ignore some).
/// Returns 0 or an errno.
static int spawn(pid_t *pid, const char *path, char *const argv[], int in, int out, int err) {
    posix_spawn_file_actions_t actions;
    int status = posix_spawn_file_actions_init(&actions);
    if (status != 0) return status;
    posix_spawnattr_t attributes;
    status = posix_spawnattr_init(&attributes);
    if (status != 0) {
        (void)posix_spawn_file_actions_destroy(&actions);
        return status;
    }
    sigset_t none, all;
    if (sigemptyset(&none) != 0 || sigfillset(&all) != 0) {
        status = EINVAL;
    } else if ((status = posix_spawn_file_actions_adddup2(&actions, in, 0)) == 0
               && (status = posix_spawn_file_actions_adddup2(&actions, out, 1)) == 0
               && (status = posix_spawn_file_actions_adddup2(&actions, err, 2)) == 0
               && (status = posix_spawnattr_setsigmask(&attributes, &none)) == 0
               && (status = posix_spawnattr_setsigdefault(&attributes, &all)) == 0
               && (status = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0) {
        status = posix_spawn(pid, path, &actions, &attributes, argv, environ);
    }
    // Both fail only for an uninitialised object.
    (void)posix_spawnattr_destroy(&attributes);
    (void)posix_spawn_file_actions_destroy(&actions);
    return status;
}

/// Writes, reads and polls until the program has closed both outputs and taken its input.
/// Returns CNetfilterShim_PROCESS_OK or the failure, with its errno in `*error_number`.
static CNetfilterShim_process_result exchange(int *in, int *out, int *err, const uint8_t *input, size_t input_length,
                                              CNetfilterShim_output *output, CNetfilterShim_output *errors,
                                              int *error_number) {
    int flags = fcntl(*in, F_GETFL);
    if (flags < 0 || fcntl(*in, F_SETFL, flags | O_NONBLOCK) < 0) {
        *error_number = errno;
        return CNetfilterShim_PROCESS_PIPE_FAILED;
    }
    size_t written = 0;
    if (input_length == 0) close_fd(in);
    char chunk[65536];
    while (*out >= 0 || *err >= 0 || *in >= 0) {
        struct pollfd fds[3];
        nfds_t count = 0;
        int out_index = -1, err_index = -1, in_index = -1;
        if (*out >= 0) { out_index = (int)count; fds[count++] = (struct pollfd){ .fd = *out, .events = POLLIN }; }
        if (*err >= 0) { err_index = (int)count; fds[count++] = (struct pollfd){ .fd = *err, .events = POLLIN }; }
        if (*in >= 0) { in_index = (int)count; fds[count++] = (struct pollfd){ .fd = *in, .events = POLLOUT }; }
        if (poll(fds, count, -1) < 0) {
            if (errno == EINTR) continue;
            *error_number = errno;
            return CNetfilterShim_PROCESS_IO_FAILED;
        }
        if (in_index >= 0 && fds[in_index].revents != 0) {
            ssize_t n = write(*in, input + written, input_length - written);
            if (n >= 0) {
                written += (size_t)n;
            } else if (errno == EPIPE) {
                written = input_length;  // the program closed its input: it reads no more
            } else if (errno != EAGAIN && errno != EINTR) {
                *error_number = errno;
                return CNetfilterShim_PROCESS_IO_FAILED;
            }
            if (written == input_length) close_fd(in);
        }
        int indexes[2] = { out_index, err_index };
        int *descriptors[2] = { out, err };
        CNetfilterShim_output *buffers[2] = { output, errors };
        for (int k = 0; k < 2; k++) {
            if (indexes[k] < 0 || fds[indexes[k]].revents == 0) continue;
            ssize_t n = read(*descriptors[k], chunk, sizeof chunk);
            if (n > 0) {
                int status = append(buffers[k], chunk, (size_t)n);
                if (status != 0) { *error_number = status; return CNetfilterShim_PROCESS_OUT_OF_MEMORY; }
            } else if (n == 0) {
                close_fd(descriptors[k]);
            } else if (errno != EINTR && errno != EAGAIN) {
                *error_number = errno;
                return CNetfilterShim_PROCESS_IO_FAILED;
            }
        }
    }
    return CNetfilterShim_PROCESS_OK;
}

CNetfilterShim_process_result CNetfilterShim_run_process(const char *path, char *const argv[], const uint8_t *input,
                                                         size_t input_length, CNetfilterShim_output *output,
                                                         CNetfilterShim_output *errors, int *exit_status,
                                                         int *error_number) {
    *exit_status = 0;
    *error_number = 0;
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        *error_number = errno;
        for (int i = 0; i < 2; i++) { close_fd(&in[i]); close_fd(&out[i]); close_fd(&err[i]); }
        return CNetfilterShim_PROCESS_PIPE_FAILED;
    }
    pid_t pid;
    int status = spawn(&pid, path, argv, in[0], out[1], err[1]);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    if (status != 0) {
        close_fd(&in[1]);
        close_fd(&out[0]);
        close_fd(&err[0]);
        *error_number = status;
        return CNetfilterShim_PROCESS_SPAWN_FAILED;
    }

    // A child that exits without reading its input must not kill us with SIGPIPE: block it on
    // this thread while writing (write then fails with EPIPE), and take a pending one before
    // unblocking. The child was started before, so it does not inherit the mask.
    sigset_t pipe_set, previous;
    CNetfilterShim_process_result result = CNetfilterShim_PROCESS_OK;
    int mask_status = (sigemptyset(&pipe_set) == 0 && sigaddset(&pipe_set, SIGPIPE) == 0)
        ? pthread_sigmask(SIG_BLOCK, &pipe_set, &previous) : EINVAL;
    if (mask_status != 0) {
        *error_number = mask_status;
        result = CNetfilterShim_PROCESS_IO_FAILED;
    } else {
        result = exchange(&in[1], &out[0], &err[0], input, input_length, output, errors, error_number);
    }
    // On a failure the program sees its input end and EPIPE on its outputs, so it ends too.
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    if (mask_status == 0) {
        struct timespec no_wait = { 0, 0 };
        for (;;) {
            if (sigtimedwait(&pipe_set, NULL, &no_wait) >= 0) continue;  // took a pending SIGPIPE
            if (errno == EINTR) continue;
            if (errno != EAGAIN && result == CNetfilterShim_PROCESS_OK) {
                *error_number = errno;
                result = CNetfilterShim_PROCESS_IO_FAILED;
            }
            break;
        }
        int restored = pthread_sigmask(SIG_SETMASK, &previous, NULL);
        if (restored != 0 && result == CNetfilterShim_PROCESS_OK) {
            *error_number = restored;
            result = CNetfilterShim_PROCESS_IO_FAILED;
        }
    }

    int wait_status;
    while (waitpid(pid, &wait_status, 0) < 0) {
        if (errno == EINTR) continue;
        *error_number = errno;
        return CNetfilterShim_PROCESS_WAIT_FAILED;
    }
    if (result != CNetfilterShim_PROCESS_OK) return result;
    *exit_status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    return CNetfilterShim_PROCESS_OK;
}
