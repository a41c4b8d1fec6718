# The Kubernetes manifests in k8s/, validated offline: yamllint, kustomize
# renders each overlay, every object type-checks against the Kubernetes API,
# and what a deployment relies on holds (ctest -L k8s). Needs yamllint, node
# and npm: tests/k8s/install-tools --debian. The npm packages it installs
# itself, into the build tree.
add_test(NAME k8s_manifests
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/k8s/run-manifests-test ${CMAKE_BINARY_DIR}/k8s-tools)
set_tests_properties(k8s_manifests PROPERTIES LABELS k8s TIMEOUT 300)
