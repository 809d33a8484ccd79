agape_py_test(io_restart ${CMAKE_CURRENT_LIST_DIR}/test_restart.py io)
agape_py_test(io_restart_eliashberg ${CMAKE_CURRENT_LIST_DIR}/test_restart_eliashberg.py io)
