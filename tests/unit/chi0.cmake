# Static response chi0 (kernels/chi0.c, kernels/chi0_jellium.c): imaginary-time quadrature,
# FFT route against the direct double sum, Lindhard and electron-gas mu (physics.md §4, §6.4).
agape_c_test(test_chi0 ${CMAKE_CURRENT_LIST_DIR}/test_chi0.c unit)
