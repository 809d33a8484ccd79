/* The material sources behind the interface of include/agape/material.h (private to the
 * material folder). Each fills every member it offers and leaves the rest 0/NULL; each is
 * collective over par (files are read on rank 0 and broadcast) and prints what it read on
 * rank 0. t0: start of the run (agape_par_wtime), for the log. */
#ifndef AGAPE_MATERIAL_SOURCES_H
#define AGAPE_MATERIAL_SOURCES_H
#include "agape/material.h"

agape_err agape_source_model_create(const agape_par *par, const agape_params *p, double t0, agape_material *m);
agape_err agape_source_a2f_create(const agape_par *par, const agape_params *p, double t0, agape_material *m);
agape_err agape_source_square_well_create(const agape_par *par, const agape_params *p, double t0, agape_material *m);
agape_err agape_source_epw_create(const agape_par *par, const agape_params *p, double t0, agape_material *m);

#endif
