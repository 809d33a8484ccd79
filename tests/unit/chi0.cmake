# Static response chi0 (kernels/chi0.c, kernels/chi0_jellium.c): imaginary-time quadrature,
# FFT route against the direct double sum, Lindhard and electron-gas mu (docs/theory.md §5.3, §5.7, §10.4).
agape_c_test(test_chi0 ${CMAKE_CURRENT_LIST_DIR}/test_chi0.c unit)
