# Quantum ESPRESSO save-folder reader (src/material/qe_save.c) on the repository's fixture
# tests/data/al-qe (made by its make.sh with Debian's pw.x)
agape_c_test(test_qe_save ${CMAKE_CURRENT_LIST_DIR}/test_qe_save.c unit)
target_compile_definitions(test_qe_save PRIVATE AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
# pair densities of plane-wave Bloch states (kernels/pairdens.c) on the same fixture
agape_c_test(test_pairdens ${CMAKE_CURRENT_LIST_DIR}/test_pairdens.c unit)
target_compile_definitions(test_pairdens PRIVATE AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
# chi0_GG'(q) of the fixture's full-grid nscf (src/coulomb/qe_chi0.c, kernels/chi0_pw.c)
agape_c_test(test_qe_chi0 ${CMAKE_CURRENT_LIST_DIR}/test_qe_chi0.c unit)
target_compile_definitions(test_qe_chi0 PRIVATE AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
# mu* of an energy-resolved W against Morel-Anderson (kernels/mustar.c)
agape_c_test(test_mustar ${CMAKE_CURRENT_LIST_DIR}/test_mustar.c unit)
# the static RPA of a free-electron save folder written by the test against Lindhard's function
agape_c_test(test_lindhard ${CMAKE_CURRENT_LIST_DIR}/test_lindhard.c unit)
# The check that a save folder and the phonon data describe the same crystal (symmetry.c):
# Al's save folder against an EPW-style crystal.fmt, MgB2's crystal.fmt against variants
agape_c_test(test_crystal ${CMAKE_CURRENT_LIST_DIR}/test_crystal.c unit)
target_compile_definitions(test_crystal PRIVATE AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
