# Operating the services: metrics, JSON logs, deadlines, TLS and bundle
# updates, against the real executables.
add_library(healthsearch_serving_test_support STATIC serving_test_support.cc)
target_link_libraries(healthsearch_serving_test_support
  PUBLIC healthsearch_grpc_testing GTest::gtest absl::time PRIVATE absl::strings)

foreach(test_name bundle_swap_test observability_test tls_test)
  add_executable(${test_name} ${test_name}.cc)
  target_link_libraries(${test_name} PRIVATE healthsearch_serving_test_support
                        healthsearch_grpc_serving healthsearch_proto absl::strings
                        absl::synchronization GTest::gmock GTest::gtest_main)
  add_dependencies(${test_name} search-service content-service indexer healthsearch)
  gtest_discover_tests(${test_name} PROPERTIES TIMEOUT 300)
endforeach()
