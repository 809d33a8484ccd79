agape_py_test(mpi_ranks_threads ${CMAKE_CURRENT_LIST_DIR}/test_ranks.py mpi)
# ScaLAPACK inversion of the dielectric matrix (agape_par_zinv) against serial LAPACK, 1/2/4 ranks
agape_c_test_program(test_zinv ${CMAKE_CURRENT_LIST_DIR}/test_zinv.c)
foreach(np 1 2 4)
  agape_add_test(mpi_zinv_${np} ${AGAPE_MPIEXEC} -np ${np} $<TARGET_FILE:test_zinv>)
  set_tests_properties(mpi_zinv_${np} PROPERTIES LABELS mpi ENVIRONMENT "${AGAPE_TEST_ENV};OMP_NUM_THREADS=1" TIMEOUT 300)
endforeach()
agape_py_test(mpi_rpa_ranks ${CMAKE_CURRENT_LIST_DIR}/test_rpa_ranks.py mpi)
