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

static int append(CNetfilterShim_output *buffer, const char *bytes, size_t length) {
    if (buffer->length + length + 1 > buffer->capacity) {
        size_t capacity = (buffer->capacity + length + 1) * 2;
        char *grown = realloc(buffer->bytes, capacity);
        if (grown == NULL) return -1;
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

int CNetfilterShim_run_process(const char *path, char *const argv[], const uint8_t *input, size_t input_length,
                               CNetfilterShim_output *output, CNetfilterShim_output *errors, int *exit_status) {
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        int code = errno;
        for (int i = 0; i < 2; i++) { if (in[i] >= 0) close(in[i]); if (out[i] >= 0) close(out[i]); if (err[i] >= 0) close(err[i]); }
        return -code;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    pid_t pid;
    int status = posix_spawn(&pid, path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]); close(out[1]); close(err[1]);
    if (status != 0) { close(in[1]); close(out[0]); close(err[0]); return -status; }

    // A child that exits without reading its input must not kill us with SIGPIPE: block it on
    // this thread while writing, and take a pending one before unblocking.
    sigset_t pipe_set, previous;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &previous);

    fcntl(in[1], F_SETFL, O_NONBLOCK);
    size_t written = 0;
    if (input_length == 0) { close(in[1]); in[1] = -1; }
    int open_outputs = 2;
    int failure = 0;
    char chunk[65536];
    while (open_outputs > 0 || in[1] >= 0) {
        struct pollfd fds[3];
        int count = 0;
        int out_index = -1, err_index = -1, in_index = -1;
        if (out[0] >= 0) { out_index = count; fds[count++] = (struct pollfd){ .fd = out[0], .events = POLLIN }; }
        if (err[0] >= 0) { err_index = count; fds[count++] = (struct pollfd){ .fd = err[0], .events = POLLIN }; }
        if (in[1] >= 0) { in_index = count; fds[count++] = (struct pollfd){ .fd = in[1], .events = POLLOUT }; }
        if (poll(fds, (nfds_t)count, -1) < 0) {
            if (errno == EINTR) continue;
            failure = errno;
            break;
        }
        if (in_index >= 0 && fds[in_index].revents) {
            ssize_t n = write(in[1], input + written, input_length - written);
            if (n > 0) written += (size_t)n;
            if (n < 0 && errno != EAGAIN && errno != EINTR) written = input_length;  // the child closed its input
            if (written == input_length) { close(in[1]); in[1] = -1; }
        }
        int indexes[2] = { out_index, err_index };
        int *fdp[2] = { &out[0], &err[0] };
        CNetfilterShim_output *buffers[2] = { output, errors };
        for (int k = 0; k < 2; k++) {
            if (indexes[k] < 0 || fds[indexes[k]].revents == 0) continue;
            ssize_t n = read(*fdp[k], chunk, sizeof chunk);
            if (n > 0) {
                if (append(buffers[k], chunk, (size_t)n) != 0) { failure = ENOMEM; break; }
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(*fdp[k]);
                *fdp[k] = -1;
                open_outputs--;
            }
        }
        if (failure) break;
    }
    if (in[1] >= 0) close(in[1]);
    if (out[0] >= 0) close(out[0]);
    if (err[0] >= 0) close(err[0]);
    struct timespec no_wait = { 0, 0 };
    while (sigtimedwait(&pipe_set, NULL, &no_wait) > 0) {}
    pthread_sigmask(SIG_SETMASK, &previous, NULL);

    int wait_status;
    while (waitpid(pid, &wait_status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    if (failure) return -failure;
    *exit_status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    return 0;
}
