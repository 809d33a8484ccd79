agape_py_test(mpi_ranks_threads ${CMAKE_CURRENT_LIST_DIR}/test_ranks.py mpi)
