# Robustness: bad input, faults, and concurrency under ThreadSanitizer
# (README: Robustness). Each binary's tests are real processes or real files.
add_executable(bad_input_process_test bad_input_process_test.cc)
target_link_libraries(bad_input_process_test PRIVATE healthsearch_common healthsearch_testing
                      GTest::gmock GTest::gtest_main)
add_dependencies(bad_input_process_test indexer search-service content-service)
gtest_discover_tests(bad_input_process_test)

add_executable(service_limits_process_test service_limits_process_test.cc)
target_link_libraries(service_limits_process_test PRIVATE healthsearch_grpc_serving
                      healthsearch_grpc_testing gRPC::grpc++ GTest::gmock GTest::gtest_main)
add_dependencies(service_limits_process_test indexer search-service content-service)
gtest_discover_tests(service_limits_process_test)

add_executable(fault_process_test fault_process_test.cc)
target_link_libraries(fault_process_test PRIVATE healthsearch_common healthsearch_grpc_testing
                      gRPC::grpc++ GTest::gmock GTest::gtest_main)
add_dependencies(fault_process_test indexer search-service content-service)
gtest_discover_tests(fault_process_test)

# Our own concurrency without gRPC; scripts/test-sanitizers runs the "tsan"
# label under ThreadSanitizer.
add_executable(library_concurrency_test library_concurrency_test.cc
                                         ../common/object_pool_test.cc)
target_link_libraries(library_concurrency_test PRIVATE healthsearch_searcher healthsearch_indexer
                      healthsearch_testing GTest::gmock GTest::gtest_main)
gtest_discover_tests(library_concurrency_test PROPERTIES LABELS tsan)
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
  # Tell TSan what Debian's uninstrumented absl::Mutex orders (see the file).
  target_sources(library_concurrency_test PRIVATE tsan_absl_mutex_annotations.cc)
  foreach(function 4LockEv 10ReaderLockEv 7TryLockEv 13ReaderTryLockEv 6UnlockEv
                   12ReaderUnlockEv 8LockWhenERKNS0_9ConditionE
                   14ReaderLockWhenERKNS0_9ConditionE 5AwaitERKNS0_9ConditionE
                   16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE)
    target_link_options(library_concurrency_test PRIVATE
                        "LINKER:--wrap=_ZN4absl7debian35Mutex${function}")
  endforeach()
endif()

# The load that scripts/soak applies; not a test.
add_executable(soak_load soak_load.cc)
target_link_libraries(soak_load PRIVATE healthsearch_common gRPC::grpc++ absl::flags
                      absl::flags_parse absl::synchronization absl::time)
