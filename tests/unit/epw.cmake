# EPW reader and writer (src/epw.c) on the shared EPW data; skipped when it is absent.
agape_c_test(test_epw ${CMAKE_CURRENT_LIST_DIR}/test_epw.c unit)
target_compile_definitions(test_epw PRIVATE AGAPE_SHARED_DATA="${CMAKE_SOURCE_DIR}/../shared/data")
set_tests_properties(test_epw PROPERTIES SKIP_RETURN_CODE 77)
