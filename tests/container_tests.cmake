# The container images built by scripts/build-images, run end to end with
# podman: indexer, both services and the client as containers. A cold build
# compiles the executables inside the builder image, so the test is long and
# CPU-bound and runs alone; it skips itself where podman cannot run containers.
add_test(NAME container_images
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container_images_test.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(container_images PROPERTIES
  LABELS containers SKIP_RETURN_CODE 77 TIMEOUT 3000 RUN_SERIAL TRUE)
