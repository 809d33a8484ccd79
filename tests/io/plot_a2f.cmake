# scripts/agape-plot-a2f on an isotropic Eliashberg run of the Pb fixture (tests/data/pb-epw) and
# on an alpha^2F-file run: PNG written, lambda printed = /coupling/lambda = 2 int alpha^2F/omega.
agape_py_test(io_plot_a2f ${CMAKE_CURRENT_LIST_DIR}/test_plot_a2f.py io)
