# Pair-kernel unit tests (kernels/): closed forms vs Matsubara sums, printed forms and limits
# of docs/theory.md §3, removable singularities, optimised table vs reference twins.
agape_c_test(test_kernels ${CMAKE_CURRENT_LIST_DIR}/test_kernels.c unit)
