# EPW reader and writer (src/material/epw.c): always on the Pb fixture in tests/data/pb-epw; also on the
# MgB2 sets of the shared EPW data folder when it is there (SKIP lines when it is absent).
agape_c_test(test_epw ${CMAKE_CURRENT_LIST_DIR}/test_epw.c unit)
target_compile_definitions(test_epw PRIVATE AGAPE_SHARED_DATA="${CMAKE_SOURCE_DIR}/../shared/data"
  AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
