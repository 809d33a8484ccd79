# SLURM: a private cluster, the generic jobscript and the strong-scaling chain job.
agape_py_test(slurm_jobscripts ${CMAKE_CURRENT_LIST_DIR}/test_slurm.py slurm)
set_tests_properties(slurm_jobscripts PROPERTIES SKIP_RETURN_CODE 77)
agape_py_test(io_jobscripts ${CMAKE_CURRENT_LIST_DIR}/test_jobscripts.py io)
