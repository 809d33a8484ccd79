#!/usr/bin/env bash
# Remake this fixture from Debian's Quantum ESPRESSO (apt-get install quantum-espresso
# quantum-espresso-data): fcc Al, norm-conserving Al.pz-vbc.UPF, 12 Ry, 4^3 k, 8 bands.
# Keeps pw.x's output (scf.out, the reference numbers) and the parts of al.save that AGAPE
# reads (data-file-schema.xml, wfc1..8.dat). Under a second on one core.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf out al.save
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 pw.x -in scf.in > scf.out
mkdir al.save
cp out/al.save/data-file-schema.xml out/al.save/wfc*.dat al.save/
rm -rf out
