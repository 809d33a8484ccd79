# The shared solver modules of kernels/ (no MPI): Anderson mixing on a linear contraction,
# the restarted Arnoldi against LAPACK dgeev, the Tc search on model rho(T) curves, the thermal
# window of the gap equation.
agape_c_test(test_anderson ${CMAKE_CURRENT_LIST_DIR}/test_anderson.c unit)
agape_c_test(test_arnoldi ${CMAKE_CURRENT_LIST_DIR}/test_arnoldi.c unit)
agape_c_test(test_tcsearch ${CMAKE_CURRENT_LIST_DIR}/test_tcsearch.c unit)
agape_c_test(test_resolution ${CMAKE_CURRENT_LIST_DIR}/test_resolution.c unit)
