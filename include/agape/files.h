/* Paths and whole-file commits shared by every stage that writes a file (results.h5, the
 * checkpoint, the histogram text, FermiSurfer files) or finds one beside another (the EPW
 * folder's crystal.fmt). A file is written under a temporary sibling name and renamed when
 * complete, so it is either whole or absent. No MPI; the caller decides which rank writes. */
#ifndef AGAPE_FILES_H
#define AGAPE_FILES_H
#include "agape/error.h"
#include <stddef.h>
#include <stdio.h>

/* Folder part of path into dir (size cap): "." when path has no slash, "/" for "/x".
 * Returns 0, or -1 if it did not fit (dir then holds its first cap-1 characters). */
int agape_path_dirname(const char *path, char *dir, size_t cap);

/* This host's name as temporary names carry it, into h (size cap): [A-Za-z0-9-] only, dots
 * become '-', so that the pid after the last dot of a temporary name can be found again. */
void agape_path_host(char *h, size_t cap);

/* Temporary sibling of path for atomic writes: "<path>.tmp.<host>.<pid>".
 * Returns 0, -1 if too long for cap. */
int agape_path_tmpname(char *out, size_t cap, const char *path);

/* Finish a text file written under a temporary name: close f, and rename tmp to path when
 * every write succeeded; otherwise remove tmp. Returns AGAPE_ERR_IO naming path on failure. */
agape_err agape_text_commit(FILE *f, const char *tmp, const char *path);

#endif
