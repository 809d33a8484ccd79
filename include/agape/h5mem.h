/* HDF5 files built in memory and written to disk by AGAPE itself (output stage: results.h5
 * and the checkpoints). HDF5's core driver holds the whole file; agape_h5mem_write takes its
 * image and writes it with plain POSIX calls, so a full disk or a failing file system is an
 * ordinary write error with its reason (errno), and HDF5 never holds a file it could not close
 * (which crashed the library's clean-up at exit). Rank 0, serial. */
#ifndef AGAPE_H5MEM_H
#define AGAPE_H5MEM_H
#include <stddef.h>
#include <hdf5.h>

/* A new empty HDF5 file in memory named name (for HDF5's messages only); negative on failure. */
hid_t agape_h5mem_create(const char *name);

/* Flush the in-memory file, write its image to path (created or truncated, fsync'd), and close
 * it. Returns 0, or -1 with the reason in why[cap] ("HDF5 file image" or a write error with
 * strerror). The file is closed in either case. */
int agape_h5mem_write(hid_t file, const char *path, char *why, size_t cap);

#endif
