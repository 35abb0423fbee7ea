// Internal helper shared by ipset.c and nftables.c: move the calling thread into a network namespace.
#ifndef CNETFILTERSHIM_NETNS_H
#define CNETFILTERSHIM_NETNS_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

/// Moves the calling thread into the network namespace at `path` (setns changes only this
/// thread; sockets opened afterwards stay in that namespace for their lifetime).
/// Returns 0 or an errno.
static inline int CNetfilterShim_enter_netns(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int status = setns(fd, CLONE_NEWNET) == 0 ? 0 : errno;
    close(fd);
    return status;
}

#endif
