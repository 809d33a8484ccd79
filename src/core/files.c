/* Paths and whole-file commits (see include/agape/files.h). */
#define _POSIX_C_SOURCE 200809L
#include "agape/files.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int agape_path_dirname(const char *path, char *dir, size_t cap)
{
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(dir, cap, ".");
    return 0;
  }
  size_t len = (size_t)(slash - path);
  if (len == 0) len = 1; /* root folder */
  int too_long = len >= cap;
  if (too_long) len = cap - 1;
  memcpy(dir, path, len);
  dir[len] = '\0';
  return too_long ? -1 : 0;
}

void agape_path_host(char *h, size_t cap)
{
  if (gethostname(h, cap) != 0) snprintf(h, cap, "host");
  h[cap - 1] = '\0';
  for (char *c = h; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-')) *c = '-';
}

int agape_path_tmpname(char *out, size_t cap, const char *path)
{
  char host[64];
  agape_path_host(host, sizeof host);
  int len = snprintf(out, cap, "%s.tmp.%s.%ld", path, host, (long)getpid());
  return (len < 0 || (size_t)len >= cap) ? -1 : 0;
}

agape_err agape_text_commit(FILE *f, const char *tmp, const char *path)
{
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  if (bad || rename(tmp, path) != 0) {
    int e = errno ? errno : EIO;
    remove(tmp);
    return agape_error(AGAPE_ERR_IO, "cannot write %s: %s", path, strerror(e));
  }
  return AGAPE_OK;
}
