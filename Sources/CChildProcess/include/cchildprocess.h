#ifndef CCHILDPROCESS_H
#define CCHILDPROCESS_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so no child spawned by
/// another thread in between inherits them.
int cchildprocess_pipe_cloexec(int fds[2]);

/// Adds "close every descriptor from `lowest` up" to the spawn's file actions (glibc's
/// posix_spawn_file_actions_addclosefrom_np, 2.34 and later): the child gets only its
/// standard streams, not the parent's sockets and files.
int cchildprocess_addclosefrom(posix_spawn_file_actions_t *actions, int lowest);

#endif
