# Separable phonon operator against direct exact pair sums; thread and rank invariance
agape_c_test(test_sepop ${CMAKE_CURRENT_LIST_DIR}/test_sepop.c unit)
agape_add_test(mpi_sepop_2 ${AGAPE_MPIEXEC} -np 2 $<TARGET_FILE:test_sepop>)
set_tests_properties(mpi_sepop_2 PROPERTIES LABELS mpi ENVIRONMENT "${AGAPE_TEST_ENV};OMP_NUM_THREADS=2" TIMEOUT 300)
