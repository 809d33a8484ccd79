# RPA screening numerics (kernels/rpa.c): form factors, chi0_GG' against the band double sum,
# the serial screened interaction, the Thomas-Fermi head average.
agape_c_test(test_rpa ${CMAKE_CURRENT_LIST_DIR}/test_rpa.c unit)
# The energy-resolved Coulomb term of the gap operator (src/scdft/solve.c)
agape_c_test(test_coulomb_op ${CMAKE_CURRENT_LIST_DIR}/test_coulomb_op.c unit)
