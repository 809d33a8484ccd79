#!/usr/bin/env bash
# Remake this fixture from Debian's Quantum ESPRESSO (apt-get install quantum-espresso
# quantum-espresso-data): fcc Al, norm-conserving Al.pz-vbc.UPF, 12 Ry.
#  - scf.in: 4^3 k (8 irreducible points), 8 bands, Marzari-Vanderbilt 0.05 Ry -> al.save
#  - nscf.in: the full 3^3 grid (nosym, noinv: 27 points), 12 bands, Gaussian 0.05 Ry -> al-full.save
# Keeps pw.x's outputs (scf.out, nscf.out: the reference numbers) and the parts of the save
# folders that AGAPE reads (data-file-schema.xml, wfc<ik>.dat). A few seconds on one core.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf out al.save al-full.save
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pw.x -in scf.in > scf.out
mkdir al.save
cp out/al.save/data-file-schema.xml out/al.save/wfc*.dat al.save/
pw.x -in nscf.in > nscf.out
mkdir al-full.save
cp out/al.save/data-file-schema.xml out/al.save/wfc*.dat al-full.save/
rm -rf out
