// CNetfilterShim: Helper programs (process.c): posix_spawn, poll, waitpid.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_PROCESS_H
#define CNETFILTERSHIM_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bytes a program printed (malloc'd, NUL-terminated; free with CNetfilterShim_output_free).
typedef struct CNetfilterShim_output {
    char *_Nullable bytes;
    size_t length;
    size_t capacity;
} CNetfilterShim_output;

/// Frees an output buffer's bytes.
void CNetfilterShim_output_free(CNetfilterShim_output *_Nonnull buffer);

/// How CNetfilterShim_run_process ended. Every value but OK comes with an errno.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_process_result {
    /// The program ran to its end; its exit status is set.
    CNetfilterShim_PROCESS_OK __attribute__((swift_name("ok"))) = 0,
    /// The pipes to the program could not be made (pipe2, fcntl).
    CNetfilterShim_PROCESS_PIPE_FAILED __attribute__((swift_name("pipeFailed"))) = 1,
    /// The program could not be started (posix_spawn or its file actions; ENOENT, EACCES, ...).
    CNetfilterShim_PROCESS_SPAWN_FAILED __attribute__((swift_name("spawnFailed"))) = 2,
    /// Talking to the running program failed (poll, read, write, the signal mask); it was
    /// still waited for.
    CNetfilterShim_PROCESS_IO_FAILED __attribute__((swift_name("ioFailed"))) = 3,
    /// Its output could not be stored (ENOMEM); it was still waited for.
    CNetfilterShim_PROCESS_OUT_OF_MEMORY __attribute__((swift_name("outOfMemory"))) = 4,
    /// waitpid failed: whether and how the program ended is unknown.
    CNetfilterShim_PROCESS_WAIT_FAILED __attribute__((swift_name("waitFailed"))) = 5,
} CNetfilterShim_process_result;

/// Runs the program at `path` with `argv` (NULL-terminated, argv[0] first) to its end, writing
/// `input` to its standard input and collecting its standard output and error. The program
/// starts with no signal blocked and every signal's default action. Sets
/// `*exit_status` (128 + signal when killed) on success, and `*error_number` to the errno of a
/// failure (0 on success).
CNetfilterShim_process_result CNetfilterShim_run_process(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                                                         const uint8_t *_Nullable input, size_t input_length,
                                                         CNetfilterShim_output *_Nonnull output,
                                                         CNetfilterShim_output *_Nonnull errors,
                                                         int *_Nonnull exit_status, int *_Nonnull error_number);

#ifdef __cplusplus
}
#endif

#endif
