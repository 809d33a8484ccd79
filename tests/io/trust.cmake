agape_py_test(io_trust ${CMAKE_CURRENT_LIST_DIR}/test_trust.py io)
