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

/// Runs the program at `path` with `argv` (NULL-terminated, argv[0] first) to its end, writing
/// `input` to its standard input and collecting its standard output and error. Sets
/// `*exit_status` (128 + signal when killed). Returns 0, or a negative errno when the program
/// could not be started or read.
int CNetfilterShim_run_process(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                               const uint8_t *_Nullable input, size_t input_length,
                               CNetfilterShim_output *_Nonnull output, CNetfilterShim_output *_Nonnull errors,
                               int *_Nonnull exit_status);

#ifdef __cplusplus
}
#endif

#endif
