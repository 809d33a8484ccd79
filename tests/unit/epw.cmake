# EPW reader and writer (src/material/epw.c): on the repository's fixtures, tests/data/pb-epw and
# tests/data/mgb2-tiny-epw, always; on the uncut MgB2 sets of the shared EPW data folder as a
# second test, skipped (exit 77) when that folder is absent.
agape_c_test(test_epw ${CMAKE_CURRENT_LIST_DIR}/test_epw.c unit)
target_compile_definitions(test_epw PRIVATE AGAPE_SHARED_DATA="${CMAKE_SOURCE_DIR}/../shared/data"
  AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
agape_add_test(test_epw_shared $<TARGET_FILE:test_epw> shared)
set_tests_properties(test_epw_shared PROPERTIES LABELS unit ENVIRONMENT "${AGAPE_TEST_ENV}" TIMEOUT 600
  SKIP_RETURN_CODE 77)
# EPW data unfolded onto the full meshes and interpolated (src/material/epw_mesh.c), on the fixtures
agape_c_test(test_epw_mesh ${CMAKE_CURRENT_LIST_DIR}/test_epw_mesh.c unit)
target_compile_definitions(test_epw_mesh PRIVATE AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
# N(0) and lambda of Monte-Carlo states of EPW data against uniform grids of the same interpolation
agape_c_test(test_epw_mc ${CMAKE_CURRENT_LIST_DIR}/test_epw_mc.c unit)
target_compile_definitions(test_epw_mc PRIVATE AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
