# Benchmark programs (not tests): built with the project, run by benchmarks/run.sh.
add_executable(agape_bench_kernels ${CMAKE_SOURCE_DIR}/benchmarks/bench_kernels.c)
target_link_libraries(agape_bench_kernels PRIVATE agape::core)
add_executable(agape_bench_matvec ${CMAKE_SOURCE_DIR}/benchmarks/bench_matvec.c)
target_link_libraries(agape_bench_matvec PRIVATE agape::core)
