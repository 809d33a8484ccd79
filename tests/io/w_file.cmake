agape_py_test(io_w_file ${CMAKE_CURRENT_LIST_DIR}/test_w_file.py io)
