agape_c_test(test_output ${CMAKE_CURRENT_LIST_DIR}/test_output.c io)
