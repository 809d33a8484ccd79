# FermiSurfer files of the gap (src/output/frmsf.c): the XB12 model's interpolation (no data needed),
# and the exact EPW mapping on the shared EPW data (skipped, 77, when it is absent).
agape_c_test(test_frmsf ${CMAKE_CURRENT_LIST_DIR}/test_frmsf.c io)
target_compile_definitions(test_frmsf PRIVATE AGAPE_SHARED_DATA="${CMAKE_SOURCE_DIR}/../shared/data")
add_test(NAME test_frmsf_epw COMMAND test_frmsf epw)
set_tests_properties(test_frmsf_epw PROPERTIES LABELS io ENVIRONMENT "${AGAPE_TEST_ENV}" TIMEOUT 600
  SKIP_RETURN_CODE 77)
