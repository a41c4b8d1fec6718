add_executable(search_service_process_test search_service_process_test.cc)
target_link_libraries(search_service_process_test PRIVATE healthsearch_common healthsearch_indexer
                      healthsearch_grpc_testing GTest::gmock GTest::gtest_main)
add_dependencies(search_service_process_test search-service healthsearch indexer)
gtest_discover_tests(search_service_process_test)

add_executable(search_service_concurrency_test search_service_concurrency_test.cc)
target_link_libraries(search_service_concurrency_test PRIVATE healthsearch_search_service
                      healthsearch_grpc_testing GTest::gmock GTest::gtest_main)
add_dependencies(search_service_concurrency_test indexer)
gtest_discover_tests(search_service_concurrency_test DISCOVERY_TIMEOUT 30)
