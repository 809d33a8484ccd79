agape_py_test(io_bad_decks ${CMAKE_CURRENT_LIST_DIR}/test_bad_decks.py io)
