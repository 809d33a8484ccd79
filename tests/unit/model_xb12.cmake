# XB12 built-in model: filling, symmetry, pair couplings vs reference twin, calibration
agape_c_test(test_model_xb12 ${CMAKE_CURRENT_LIST_DIR}/test_model_xb12.c unit)
