// What a signal must clean up or report, registered beforehand, because a signal handler may
// only make async-signal-safe calls (no Swift, no allocation, no locks):
//  - the temporary files of outputs in progress, removed on SIGINT, SIGTERM, SIGHUP and SIGQUIT
//    before the signal takes its usual course (SIGQUIT: its default, ending the process);
//  - memory-mapped input files, so that a SIGBUS inside one (the file shrank while it was read)
//    is a one-line message naming the file and exit code 74 instead of a crash, after removing
//    the temporaries. A SIGBUS anywhere else goes to the handler that was there before.
#ifndef GMM_FILE_GUARD_H
#define GMM_FILE_GUARD_H

#include <stddef.h>

/// Installs the handlers of the interrupting signals now (they are installed at the first
/// temporary otherwise): a command calls it at its start, so that SIGQUIT ends it at any time.
void gmm_guard_signals(void);

/// Registers a temporary file to remove if the process is interrupted; returns its slot, or -1
/// when every slot is taken (the file is then only removed by the next run's sweep).
int gmm_guard_temporary(const char *path);

/// Forgets a temporary (renamed into place or removed by its owner).
void gmm_unguard_temporary(int slot);

/// Registers `size` bytes mapped at `base`: a SIGBUS inside them writes `message` (one line,
/// ending in a newline) to stderr and exits with 74. Returns its slot, or -1 when every slot
/// is taken or the handler cannot be installed.
int gmm_guard_mapping(const void *base, size_t size, const char *message);

/// Forgets a mapping (before it is unmapped).
void gmm_unguard_mapping(int slot);

#endif
