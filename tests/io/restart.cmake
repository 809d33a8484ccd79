agape_py_test(io_restart ${CMAKE_CURRENT_LIST_DIR}/test_restart.py io)
