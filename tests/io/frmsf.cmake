# FermiSurfer files of the gap (src/output/frmsf.c): the XB12 model's interpolation (no data needed);
# the exact EPW mapping on the repository's fixtures (tests/data: MgB2 tiny cut to 2 eV, Pb), and on
# the uncut MgB2 sets of the shared EPW data (skipped, 77, naming the folder when it is absent).
agape_c_test(test_frmsf ${CMAKE_CURRENT_LIST_DIR}/test_frmsf.c io)
target_compile_definitions(test_frmsf PRIVATE AGAPE_SHARED_DATA="${CMAKE_SOURCE_DIR}/../shared/data"
  AGAPE_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
agape_add_test(test_frmsf_epw $<TARGET_FILE:test_frmsf> epw)
set_tests_properties(test_frmsf_epw PROPERTIES LABELS io ENVIRONMENT "${AGAPE_TEST_ENV}" TIMEOUT 600)
agape_add_test(test_frmsf_epw_shared $<TARGET_FILE:test_frmsf> epw-shared)
set_tests_properties(test_frmsf_epw_shared PROPERTIES LABELS io ENVIRONMENT "${AGAPE_TEST_ENV}" TIMEOUT 600
  SKIP_RETURN_CODE 77)
