# The content-service: as a real process, and under many concurrent clients.
add_executable(content_service_process_test content_service_process_test.cc)
target_link_libraries(content_service_process_test PRIVATE healthsearch_indexer
                      healthsearch_grpc_testing gRPC::grpc++ absl::synchronization
                      GTest::gmock GTest::gtest_main)
add_dependencies(content_service_process_test content-service)
gtest_discover_tests(content_service_process_test)

add_executable(content_service_concurrency_test content_service_concurrency_test.cc)
target_link_libraries(content_service_concurrency_test PRIVATE healthsearch_content_service
                      healthsearch_grpc_serving healthsearch_testing
                      absl::synchronization GTest::gmock GTest::gtest_main)
add_dependencies(content_service_concurrency_test indexer)
gtest_discover_tests(content_service_concurrency_test DISCOVERY_TIMEOUT 30)
