# Physics tests: the whole solver against analytic limits (run through the agape executable).
agape_py_test(physics_square_well ${CMAKE_CURRENT_LIST_DIR}/test_square_well.py physics)
agape_py_test(physics_a2f_moments ${CMAKE_CURRENT_LIST_DIR}/test_a2f.py physics)
agape_c_test(physics_iso_scale ${CMAKE_CURRENT_LIST_DIR}/test_iso_scale.c physics)
agape_py_test(physics_eliashberg ${CMAKE_CURRENT_LIST_DIR}/test_eliashberg.py physics)
agape_py_test(physics_scdft_epw ${CMAKE_CURRENT_LIST_DIR}/test_scdft_epw.py physics)
agape_py_test(physics_scdft_epw_mc ${CMAKE_CURRENT_LIST_DIR}/test_scdft_epw_mc.py physics)
agape_py_test(physics_tc_status ${CMAKE_CURRENT_LIST_DIR}/test_tc_status.py physics)
agape_py_test(physics_resolution ${CMAKE_CURRENT_LIST_DIR}/test_resolution.py physics)
