/* HDF5 files built in memory, written by AGAPE (see include/agape/h5mem.h). */
#define _POSIX_C_SOURCE 200809L
#include "agape/h5mem.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

hid_t agape_h5mem_create(const char *name)
{
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  hid_t f = -1;
  /* 1 MiB increments, no backing store: nothing reaches the disk through HDF5 */
  if (H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) >= 0) f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  return f;
}

int agape_h5mem_write(hid_t file, const char *path, char *why, size_t cap)
{
  ssize_t size = -1;
  void *image = NULL;
  int ok = H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 && (size = H5Fget_file_image(file, NULL, 0)) >= 0 &&
    (image = malloc((size_t)size ? (size_t)size : 1)) != NULL && H5Fget_file_image(file, image, (size_t)size) == size;
  if (H5Fclose(file) < 0) ok = 0;
  if (!ok) {
    snprintf(why, cap, "HDF5 file image");
    free(image);
    return -1;
  }
  FILE *f = fopen(path, "wb");
  ok = f && fwrite(image, 1, (size_t)size, f) == (size_t)size && fflush(f) == 0 && fsync(fileno(f)) == 0;
  int e = errno;
  if (f && fclose(f) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  free(image);
  if (!ok) {
    snprintf(why, cap, "writing %zd bytes: %s", size, strerror(e));
    return -1;
  }
  return 0;
}
