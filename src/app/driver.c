/* The run driver (see include/agape/driver.h): prolog (deck, checkpoint bookkeeping, banner)
 * -> material -> method pipeline (SCDFT or Eliashberg) -> epilog. Each stage is collective
 * and returns the same code on every rank. */
#include "agape/driver.h"
#include "agape/run.h"
#include "agape/deck.h"
#include "agape/material.h"
#include "agape/scdft.h"
#include "agape/eliashberg.h"
#include "agape/output.h"
#include "agape/checkpoint.h"
#include "agape/version.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The method pipelines, by [solver] method. */
static agape_err eliashberg_pipeline(const agape_par *par, const agape_run_info *ri, const agape_material *m)
{
  const agape_ckpt_run ck = {ri->ckpath, ri->fingerprint, ri->ckfound ? ri->ckused : NULL, ri->deck_path, ri->output};
  return agape_eliashberg_run(par, ri->p, m, &ck, ri->t0);
}
static agape_err (*const pipelines[])(const agape_par *, const agape_run_info *, const agape_material *) = {
  [SOLVER_SCDFT] = agape_scdft_run,
  [SOLVER_ELIASHBERG] = eliashberg_pipeline,
};

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Prolog: read the deck on rank 0 and broadcast it, apply --output, sort the temperatures,
 * find the checkpoint file (with --restart, the checkpoint to continue from: one of another
 * deck is an error here, before any work), prepare the output folder. */
static agape_err prolog(const agape_par *par, const char *deck_path, const char *output, int restart, agape_params *p,
                        agape_run_info *ri, char **fingerprint)
{
  agape_err err = AGAPE_OK;
  if (par->rank == 0) err = agape_deck_read(deck_path, p);
  if ((err = agape_par_agree(par, err))) return err;
  if ((err = agape_params_bcast(par, p))) return err;
  if (output && (strlen(output) >= sizeof p->output_file || output[0] == '\0')) {
    if (par->rank == 0)
      agape_error(AGAPE_ERR_USAGE, "--output: empty or longer than %d characters", (int)sizeof p->output_file - 1);
    return AGAPE_ERR_USAGE;
  }
  if (output) snprintf(p->output_file, sizeof p->output_file, "%s", output);
  qsort(p->temps, p->ntemps, sizeof(double), cmp_double);
  ri->p = p;
  ri->deck_path = deck_path;
  ri->output = output;
  ri->fingerprint = *fingerprint = agape_params_fingerprint(p);
  if (!*fingerprint)
    err = AGAPE_ERR_NOMEM;
  else if (agape_ckpt_path(p->output_file, ri->ckpath, sizeof ri->ckpath) != 0)
    err = agape_error(AGAPE_ERR_DECK, "[output] file: %s is too long for its checkpoint name", p->output_file);
  if (!err && par->rank == 0) err = agape_output_prepare(p);
  if (!err && restart)
    err = agape_ckpt_find(par, ri->ckpath, *fingerprint, &ri->ckfound, ri->ckused, sizeof ri->ckused);
  return agape_par_agree(par, err);
}

/* The banner: version, layout, every parameter, where the checkpoints go (rank 0). */
static void banner(const agape_par *par, const agape_run_info *ri, int restart)
{
  if (par->rank != 0) return;
  const agape_params *p = ri->p;
  printf("AGAPE %s (%s): %d rank(s) x %d thread(s), process grid %d x %d\n", AGAPE_VERSION_STRING, AGAPE_GIT_HASH,
         par->size, par->nthreads, par->nprow, par->npcol);
  printf("agape: deck %s\n", ri->deck_path);
  agape_params_print(p, stdout);
  if (p->method == SOLVER_SCDFT) { /* the Eliashberg pipeline says it itself */
    printf("agape: checkpoints to %s", ri->ckpath);
    if (p->checkpoint_interval_s > 0) printf(" every %g s,", p->checkpoint_interval_s);
    printf(" after each temperature and on SIGTERM/SIGUSR1\n");
  }
  if (restart)
    printf(ri->ckfound ? "agape: restart from %s\n"
                       : "agape: restart: no checkpoint %s%s; starting from the beginning\n",
           ri->ckfound ? ri->ckused : ri->ckpath, ri->ckfound ? "" : " (nor .prev)");
  fflush(stdout);
}

agape_err agape_run(const agape_par *par, const char *deck_path, const char *output, int restart)
{
  agape_run_info ri = {.t0 = agape_par_wtime()};
  agape_params p;
  agape_params_defaults(&p);
  char *fingerprint = NULL;
  agape_err err = prolog(par, deck_path, output, restart, &p, &ri, &fingerprint);
  if (!err) banner(par, &ri, restart);

  agape_material m = {0};
  if (!err) err = agape_material_create(par, &p, ri.t0, &m);

  if (!err) err = pipelines[p.method](par, &ri, &m);
  /* epilog: a complete run needs no checkpoint (a restart of this deck would find nothing to
   * continue); it is removed so that it cannot be mistaken for work in progress */
  if ((err == AGAPE_OK || err == AGAPE_UNCONVERGED) && par->rank == 0) {
    char prev[sizeof ri.ckpath + 8];
    snprintf(prev, sizeof prev, "%s.prev", ri.ckpath);
    int gone = unlink(ri.ckpath) == 0;
    gone |= unlink(prev) == 0;
    if (gone) printf("agape: the run is complete: removed its checkpoint %s\n", ri.ckpath);
  }

  agape_material_destroy(&m);
  free(fingerprint);
  agape_params_free(&p);
  return err;
}
