/* Quantum ESPRESSO save folders (see include/agape/qe_save.h). */
#define _POSIX_C_SOURCE 200809L
#include "agape/qe_save.h"
#include "agape/units.h"
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- data-file-schema.xml ------------------------------------------------------------- */

typedef struct {
  const char *file; /* for messages */
  agape_err err;    /* the first error */
} xml_ctx;

static agape_err xml_fail(xml_ctx *x, const char *path, const char *what)
{
  if (!x->err) x->err = agape_error(AGAPE_ERR_FORMAT, "%s: <output>/%s: %s", x->file, path, what);
  return x->err;
}

/* the first element child of n called name (namespace prefixes ignored), else NULL */
static xmlNode *xml_child(xmlNode *n, const char *name)
{
  for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) return c;
  return NULL;
}

/* the element at path ("a/b/c") below n, else NULL */
static xmlNode *xml_find(xmlNode *n, const char *path)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *save = NULL, *t = strtok_r(buf, "/", &save); t && n; t = strtok_r(NULL, "/", &save)) n = xml_child(n, t);
  return n;
}

/* the same; missing: an error naming the path */
static xmlNode *xml_at(xml_ctx *x, xmlNode *n, const char *path)
{
  n = xml_find(n, path);
  if (!n) xml_fail(x, path, "missing");
  return n;
}

/* exactly n numbers in the text of e (path for messages) */
static agape_err xml_doubles(xml_ctx *x, xmlNode *e, const char *path, int n, double *v)
{
  if (!e) return x->err;
  xmlChar *t = xmlNodeGetContent(e);
  const char *p = (const char *)t;
  int i = 0;
  char *end = NULL;
  for (; t && i <= n; i++) {
    double d = strtod(p, &end);
    if (end == p) break;
    if (i < n) v[i] = d;
    p = end;
  }
  while (p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
  int trailing = p && *p != '\0';
  xmlFree(t);
  if (i != n || trailing) {
    char why[96];
    snprintf(why, sizeof why, "expected %d number(s), found %s%d", n, trailing ? "text after " : "", i);
    return xml_fail(x, path, why);
  }
  for (i = 0; i < n; i++)
    if (!isfinite(v[i])) return xml_fail(x, path, "not a finite number");
  return AGAPE_OK;
}

static double xml_double(xml_ctx *x, xmlNode *root, const char *path)
{
  double v = NAN;
  xml_doubles(x, xml_at(x, root, path), path, 1, &v);
  return v;
}

/* an integer-valued element or attribute text */
static int xml_int_text(xml_ctx *x, const char *text, const char *path)
{
  char *end = NULL;
  long v = text ? strtol(text, &end, 10) : 0;
  if (!text || end == text || *end != '\0' || v < INT32_MIN || v > INT32_MAX) {
    xml_fail(x, path, "expected an integer");
    return 0;
  }
  return (int)v;
}

static int xml_int(xml_ctx *x, xmlNode *root, const char *path)
{
  xmlNode *e = xml_at(x, root, path);
  if (!e) return 0;
  xmlChar *t = xmlNodeGetContent(e);
  char buf[64] = "";
  if (t) snprintf(buf, sizeof buf, "%s", (const char *)t);
  xmlFree(t);
  char *s = buf;
  while (*s == ' ' || *s == '\n') s++;
  for (char *q = s + strlen(s); q > s && (q[-1] == ' ' || q[-1] == '\n'); q--) q[-1] = '\0';
  return xml_int_text(x, s, path);
}

static int xml_attr_int(xml_ctx *x, xmlNode *e, const char *attr, const char *path)
{
  if (!e) return 0;
  xmlChar *t = xmlGetProp(e, (const xmlChar *)attr);
  char where[256];
  snprintf(where, sizeof where, "%s %s=", path, attr);
  int v = xml_int_text(x, (const char *)t, where);
  xmlFree(t);
  return v;
}

/* "true"/"false" of a logical element; a missing one is an error, or false when optional */
static int xml_bool(xml_ctx *x, xmlNode *root, const char *path, int optional)
{
  xmlNode *e = optional ? xml_find(root, path) : xml_at(x, root, path);
  if (!e) return 0;
  xmlChar *t = xmlNodeGetContent(e);
  int v = t && (strstr((const char *)t, "true") || strstr((const char *)t, "TRUE") || strstr((const char *)t, ".T."));
  xmlFree(t);
  return v;
}

static void xml_text(xmlNode *e, char *out, size_t cap)
{
  out[0] = '\0';
  if (!e) return;
  xmlChar *t = xmlNodeGetContent(e);
  if (t) snprintf(out, cap, "%s", (const char *)t);
  xmlFree(t);
}

static agape_err qe_parse(xmlNode *root, xml_ctx *x, agape_qe_save *s)
{
  if (!root || strcmp((const char *)root->name, "espresso") || !xml_child(root, "output"))
    return x->err = agape_error(AGAPE_ERR_FORMAT,
                                "%s: not a Quantum ESPRESSO data file (expected <espresso> with "
                                "<output>)",
                                x->file);
  /* element paths (and messages) are below <output> */
  xmlNode *out = xml_child(root, "output");
  if (!out) return x->err;

  /* what AGAPE does not handle */
  if (xml_bool(x, out, "magnetization/lsda", 0) || xml_bool(x, out, "band_structure/lsda", 1))
    return xml_fail(x, "magnetization/lsda",
                    "a spin-polarised run (lsda): AGAPE's RPA needs a collinear, unpolarised ground state");
  if (xml_bool(x, out, "magnetization/noncolin", 0))
    return xml_fail(x, "magnetization/noncolin",
                    "a non-collinear run: AGAPE's RPA needs a collinear, unpolarised ground state");
  if (xml_bool(x, out, "algorithmic_info/uspp", 0) || xml_bool(x, out, "algorithmic_info/paw", 0))
    return xml_fail(x, "algorithmic_info/uspp",
                    "ultrasoft or PAW pseudopotentials: their pair densities need augmentation charges, which AGAPE "
                    "does not add; use norm-conserving pseudopotentials");
  if (xml_bool(x, out, "basis_set/gamma_only", 0))
    return xml_fail(x, "basis_set/gamma_only", "gamma-only storage (K_POINTS gamma): use a k-point mesh");
  if (x->err) return x->err;

  /* cell and atoms */
  xmlNode *as = xml_at(x, out, "atomic_structure");
  if (!as) return x->err;
  xmlChar *al = xmlGetProp(as, (const xmlChar *)"alat");
  s->alat = al ? strtod((const char *)al, NULL) : NAN;
  xmlFree(al);
  if (!(s->alat > 0)) return xml_fail(x, "atomic_structure alat=", "missing or not positive");
  s->nat = xml_attr_int(x, as, "nat", "atomic_structure");
  const char *ax[3] = {"atomic_structure/cell/a1", "atomic_structure/cell/a2", "atomic_structure/cell/a3"};
  for (int i = 0; i < 3; i++) xml_doubles(x, xml_at(x, out, ax[i]), ax[i], 3, s->at + 3 * i);
  const char *bx[3] = {"basis_set/reciprocal_lattice/b1", "basis_set/reciprocal_lattice/b2",
                       "basis_set/reciprocal_lattice/b3"};
  for (int i = 0; i < 3; i++) xml_doubles(x, xml_at(x, out, bx[i]), bx[i], 3, s->bg + 3 * i);
  if (x->err) return x->err;
  const double *a = s->at;
  s->omega =
    fabs(a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double d = 0;
      for (int c = 0; c < 3; c++) d += s->at[3 * i + c] * s->bg[3 * j + c];
      if (fabs(d / s->alat - (i == j)) > 1e-6)
        return xml_fail(x, "basis_set/reciprocal_lattice", "b1..b3 are not reciprocal to a1..a3 / alat");
    }
  if (s->nat < 1 || s->nat > 100000) return xml_fail(x, "atomic_structure nat=", "not in 1..100000");
  s->tau = malloc(sizeof(double) * 3 * s->nat);
  s->ityp = malloc(sizeof(int) * s->nat);
  char(*names)[32] = calloc((size_t)s->nat, sizeof *names);
  if (!s->tau || !s->ityp || !names) {
    free(names);
    return AGAPE_ERR_NOMEM;
  }
  int na = 0, nnames = 0;
  xmlNode *ap = xml_at(x, out, "atomic_structure/atomic_positions");
  for (xmlNode *c = ap ? ap->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "atom")) {
      if (na < s->nat) {
        xml_doubles(x, c, "atomic_structure/atomic_positions/atom", 3, s->tau + 3 * na);
        /* the species: its name, numbered in order of appearance */
        xmlChar *nm = xmlGetProp(c, (const xmlChar *)"name");
        char name[32];
        snprintf(name, sizeof name, "%s", nm ? (const char *)nm : "");
        xmlFree(nm);
        int t = 0;
        while (t < nnames && strcmp(names[t], name)) t++;
        if (t == nnames) snprintf(names[nnames++], sizeof names[0], "%s", name);
        s->ityp[na] = t + 1;
      }
      na++;
    }
  free(names);
  if (!x->err && na != s->nat) return xml_fail(x, "atomic_structure/atomic_positions", "not nat atoms");
  xmlNode *sp = xml_at(x, out, "atomic_species");
  s->nsp = xml_attr_int(x, sp, "ntyp", "atomic_species");

  /* symmetry operations (rotations in crystal coordinates) */
  xmlNode *sy = xml_at(x, out, "symmetries");
  int nsym = xml_int(x, out, "symmetries/nsym");
  if (x->err) return x->err;
  if (nsym < 1 || nsym > 48) return xml_fail(x, "symmetries/nsym", "not in 1..48");
  s->sym = malloc(sizeof *s->sym * (size_t)nsym);
  if (!s->sym) return AGAPE_ERR_NOMEM;
  for (xmlNode *c = sy->children; c && s->nsym < nsym; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "symmetry")) continue;
    double r[9];
    xmlNode *rot = xml_child(c, "rotation");
    if (!rot) return xml_fail(x, "symmetries/symmetry/rotation", "missing");
    if (xml_doubles(x, rot, "symmetries/symmetry/rotation", 9, r)) return x->err;
    for (int i = 0; i < 3; i++) /* stored in Fortran order: r[i + 3 j] = s(i, j) */
      for (int j = 0; j < 3; j++) {
        double v = r[i + 3 * j];
        if (fabs(v - nearbyint(v)) > 1e-6)
          return xml_fail(x, "symmetries/symmetry/rotation", "not an integer matrix in crystal coordinates");
        s->sym[s->nsym][3 * i + j] = (int)nearbyint(v);
      }
    s->nsym++;
  }
  if (s->nsym != nsym) return xml_fail(x, "symmetries", "fewer <symmetry> elements than nsym");

  /* basis */
  s->ecutwfc = xml_double(x, out, "basis_set/ecutwfc") * AGAPE_HARTREE_EV;
  s->ecutrho = xml_double(x, out, "basis_set/ecutrho") * AGAPE_HARTREE_EV;
  xmlNode *fg = xml_at(x, out, "basis_set/fft_grid");
  s->nr[0] = xml_attr_int(x, fg, "nr1", "basis_set/fft_grid");
  s->nr[1] = xml_attr_int(x, fg, "nr2", "basis_set/fft_grid");
  s->nr[2] = xml_attr_int(x, fg, "nr3", "basis_set/fft_grid");
  if (x->err) return x->err;

  /* bands */
  xmlNode *bs = xml_at(x, out, "band_structure");
  if (!bs) return x->err;
  s->nbnd = xml_int(x, out, "band_structure/nbnd");
  s->nelec = xml_double(x, out, "band_structure/nelec");
  s->nks = xml_int(x, out, "band_structure/nks");
  if (x->err) return x->err;
  if (s->nbnd < 1 || s->nks < 1 || s->nbnd > 1000000 || s->nks > 10000000)
    return xml_fail(x, "band_structure", "nbnd or nks out of range");
  s->ef = NAN;
  if (xml_child(bs, "fermi_energy")) s->ef = xml_double(x, out, "band_structure/fermi_energy") * AGAPE_HARTREE_EV;
  xml_text(xml_child(bs, "occupations_kind"), s->occupations, sizeof s->occupations);
  xmlNode *sm = xml_child(bs, "smearing");
  if (sm) {
    xml_text(sm, s->smearing, sizeof s->smearing);
    xmlChar *dg = xmlGetProp(sm, (const xmlChar *)"degauss");
    s->degauss = dg ? strtod((const char *)dg, NULL) * AGAPE_HARTREE_EV : 0;
    xmlFree(dg);
  }
  xmlNode *mp = xml_child(xml_child(bs, "starting_k_points"), "monkhorst_pack");
  if (mp) {
    const char *mk[6] = {"nk1", "nk2", "nk3", "k1", "k2", "k3"};
    for (int i = 0; i < 6; i++) s->mp[i] = xml_attr_int(x, mp, mk[i], "band_structure/starting_k_points");
  }
  const size_t nk = (size_t)s->nks, nb = (size_t)s->nbnd;
  s->xk = malloc(sizeof(double) * 3 * nk);
  s->wk = malloc(sizeof(double) * nk);
  s->npw = malloc(sizeof(int) * nk);
  s->eig = malloc(sizeof(double) * nk * nb);
  s->occ = malloc(sizeof(double) * nk * nb);
  if (!s->xk || !s->wk || !s->npw || !s->eig || !s->occ) return AGAPE_ERR_NOMEM;
  int ik = 0;
  for (xmlNode *c = bs->children; c && !x->err; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "ks_energies")) continue;
    if (ik >= s->nks) return xml_fail(x, "band_structure/ks_energies", "more than nks");
    xmlNode *kp = xml_child(c, "k_point");
    if (!kp) return xml_fail(x, "band_structure/ks_energies/k_point", "missing");
    xml_doubles(x, kp, "band_structure/ks_energies/k_point", 3, s->xk + 3 * ik);
    xmlChar *w = xmlGetProp(kp, (const xmlChar *)"weight");
    s->wk[ik] = w ? strtod((const char *)w, NULL) : NAN;
    xmlFree(w);
    xmlNode *np = xml_child(c, "npw"), *ev = xml_child(c, "eigenvalues"), *oc = xml_child(c, "occupations");
    if (!np || !ev || !oc) return xml_fail(x, "band_structure/ks_energies", "without npw, eigenvalues or occupations");
    s->npw[ik] = xml_int(x, c, "npw");
    xml_doubles(x, ev, "band_structure/ks_energies/eigenvalues", s->nbnd, s->eig + ik * nb);
    xml_doubles(x, oc, "band_structure/ks_energies/occupations", s->nbnd, s->occ + ik * nb);
    for (size_t b = 0; b < nb; b++) s->eig[ik * nb + b] *= AGAPE_HARTREE_EV;
    if (!(s->wk[ik] >= 0) || s->npw[ik] < 1)
      return xml_fail(x, "band_structure/ks_energies", "a k point without weight or plane waves");
    ik++;
  }
  if (!x->err && ik != s->nks) return xml_fail(x, "band_structure/ks_energies", "fewer than nks");
  return x->err;
}

static void qe_xml_quiet(void *ctx, const char *msg, ...)
{
  (void)ctx;
  (void)msg;
}

agape_err agape_qe_save_read(const char *dir, agape_qe_save *s)
{
  memset(s, 0, sizeof *s);
  if (!dir || snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir)
    return agape_error(AGAPE_ERR_IO, "Quantum ESPRESSO save folder: the path is empty or too long");
  char path[1100];
  snprintf(path, sizeof path, "%s/data-file-schema.xml", s->dir);
  struct stat stt;
  if (stat(path, &stt) != 0)
    return agape_error(AGAPE_ERR_IO,
                       "%s: cannot read it: a Quantum ESPRESSO save folder (outdir/prefix.save of pw.x) holds "
                       "data-file-schema.xml",
                       path);
  xmlSetGenericErrorFunc(NULL, qe_xml_quiet);
  xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
  if (!doc) {
    const xmlError *e = xmlGetLastError();
    char why[200] = "libxml2 gave no reason";
    if (e && e->message) snprintf(why, sizeof why, "%s", e->message);
    why[strcspn(why, "\n")] = '\0';
    return agape_error(AGAPE_ERR_FORMAT, "%s:%d: not well-formed XML (%s)", path, e ? e->line : 0, why);
  }
  xml_ctx x = {.file = path};
  agape_err err = qe_parse(xmlDocGetRootElement(doc), &x, s);
  xmlFreeDoc(doc);
  if (err) {
    char keep[sizeof s->dir];
    memcpy(keep, s->dir, sizeof keep);
    agape_qe_save_destroy(s);
    memcpy(s->dir, keep, sizeof keep);
  }
  return err;
}

void agape_qe_save_destroy(agape_qe_save *s)
{
  free(s->tau);
  free(s->ityp);
  free(s->sym);
  free(s->xk);
  free(s->wk);
  free(s->npw);
  free(s->eig);
  free(s->occ);
  memset(s, 0, sizeof *s);
}

/* ---- wfc<ik>.dat ------------------------------------------------------------------------- */

/* one Fortran sequential record of exactly len bytes into buf (what: for messages) */
static agape_err fort_record(FILE *f, const char *path, const char *what, void *buf, size_t len)
{
  int32_t m1 = 0, m2 = 0;
  if (fread(&m1, 4, 1, f) != 1)
    return agape_error(AGAPE_ERR_FORMAT, "%s: %s: the file ends before it (truncated)", path, what);
  if (m1 < 0 || (size_t)m1 != len)
    return agape_error(AGAPE_ERR_FORMAT,
                       "%s: %s: a record of %d bytes, expected %zu (not a pw.x wavefunction file "
                       "of this run)",
                       path, what, (int)m1, len);
  if (fread(buf, 1, len, f) != len || fread(&m2, 4, 1, f) != 1)
    return agape_error(AGAPE_ERR_FORMAT, "%s: %s: the file ends inside it (truncated)", path, what);
  if (m2 != m1)
    return agape_error(AGAPE_ERR_FORMAT, "%s: %s: the record markers differ (%d, %d): damaged", path, what, (int)m1,
                       (int)m2);
  return AGAPE_OK;
}

agape_err agape_qe_save_crystal(const agape_qe_save *s, agape_crystal *c)
{
  memset(c, 0, sizeof *c);
  c->frac = malloc(sizeof(double) * 3 * (size_t)(s->nat > 0 ? s->nat : 1));
  c->ityp = malloc(sizeof(int) * (size_t)(s->nat > 0 ? s->nat : 1));
  if (!c->frac || !c->ityp) {
    agape_crystal_destroy(c);
    return AGAPE_ERR_NOMEM;
  }
  c->nat = s->nat;
  c->alat = s->alat;
  c->nelec = s->nelec;
  for (int i = 0; i < 9; i++) c->at[i] = s->at[i] / s->alat, c->bg[i] = s->bg[i];
  for (int a = 0; a < s->nat; a++) { /* x_j = tau . b_j / alat (tau in bohr, b_j in 2 pi/alat) */
    c->ityp[a] = s->ityp[a];
    for (int j = 0; j < 3; j++)
      c->frac[3 * a + j] =
        (s->tau[3 * a] * s->bg[3 * j] + s->tau[3 * a + 1] * s->bg[3 * j + 1] + s->tau[3 * a + 2] * s->bg[3 * j + 2]) /
        s->alat;
  }
  snprintf(c->path, sizeof c->path, "%s/data-file-schema.xml", s->dir);
  return AGAPE_OK;
}

agape_err agape_qe_wfc_read(const agape_qe_save *s, int ik, agape_qe_wfc *w)
{
  memset(w, 0, sizeof *w);
  if (ik < 1 || ik > s->nks) return agape_error(AGAPE_ERR_INTERNAL, "%s: k point %d of %d", s->dir, ik, s->nks);
  char path[1100];
  snprintf(path, sizeof path, "%s/wfc%d.dat", s->dir, ik);
  FILE *f = fopen(path, "rb");
  if (!f)
    return agape_error(AGAPE_ERR_IO,
                       "%s: cannot open it (pw.x writes wfc<ik>.dat with wf_collect, the default; an "
                       "HDF5 build writes wfc<ik>.hdf5, which AGAPE does not read)",
                       path);
  agape_err err;
  unsigned char r1[44];
  int32_t r2[4];
  w->ik = ik;
  if (!(err = fort_record(f, path, "record 1 (ik, xk, ispin, gamma_only, scalef)", r1, sizeof r1))) {
    int32_t fik, ispin, gamma;
    memcpy(&fik, r1, 4);
    memcpy(w->xk, r1 + 4, 24);
    memcpy(&ispin, r1 + 28, 4);
    memcpy(&gamma, r1 + 32, 4);
    if (fik != ik || ispin != 1 || gamma != 0)
      err = agape_error(AGAPE_ERR_FORMAT, "%s: record 1: k point %d, spin %d, gamma_only %d (expected %d, 1, 0)", path,
                        (int)fik, (int)ispin, (int)gamma, ik);
  }
  if (!err && !(err = fort_record(f, path, "record 2 (ngw, igwx, npol, nbnd)", r2, sizeof r2))) {
    w->npw = r2[1];
    w->nbnd = r2[3];
    if (r2[2] != 1 || r2[1] != s->npw[ik - 1] || r2[3] != s->nbnd)
      err = agape_error(AGAPE_ERR_FORMAT,
                        "%s: record 2: %d plane waves, %d spinor components, %d bands; data-file-schema.xml has %d "
                        "plane waves and %d bands at this k point (a file of another run?)",
                        path, (int)r2[1], (int)r2[2], (int)r2[3], s->npw[ik - 1], s->nbnd);
  }
  if (!err) err = fort_record(f, path, "record 3 (b1, b2, b3)", w->b, sizeof w->b);
  if (!err) {
    const double tpiba = 2 * AGAPE_PI / s->alat;
    for (int i = 0; i < 9 && !err; i++)
      if (fabs(w->b[i] - tpiba * s->bg[i]) > 1e-8 * tpiba)
        err = agape_error(AGAPE_ERR_FORMAT, "%s: record 3: the reciprocal vectors differ from data-file-schema.xml's",
                          path);
    for (int d = 0; d < 3 && !err; d++)
      if (fabs(w->xk[d] - tpiba * s->xk[3 * (ik - 1) + d]) > 1e-8 * tpiba)
        err = agape_error(AGAPE_ERR_FORMAT, "%s: record 1: k point differs from data-file-schema.xml's", path);
  }
  if (!err) {
    w->mill = malloc(sizeof(int) * 3 * (size_t)w->npw);
    w->evc = malloc(sizeof(double complex) * (size_t)w->npw * w->nbnd);
    if (!w->mill || !w->evc) err = AGAPE_ERR_NOMEM;
  }
  if (!err) err = fort_record(f, path, "record 4 (Miller indices)", w->mill, sizeof(int) * 3 * (size_t)w->npw);
  for (int b = 0; b < w->nbnd && !err; b++) {
    char what[64];
    snprintf(what, sizeof what, "band %d of %d", b + 1, w->nbnd);
    err = fort_record(f, path, what, w->evc + (size_t)b * w->npw, sizeof(double complex) * (size_t)w->npw);
  }
  if (!err && fgetc(f) != EOF) err = agape_error(AGAPE_ERR_FORMAT, "%s: data after the last band", path);
  fclose(f);
  if (err) agape_qe_wfc_destroy(w);
  return err;
}

void agape_qe_wfc_destroy(agape_qe_wfc *w)
{
  free(w->mill);
  free(w->evc);
  memset(w, 0, sizeof *w);
}
