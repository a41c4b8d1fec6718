# Xapian's CMake config only sets XAPIAN_* variables; wrap them once in an
# imported target so that everything else links Xapian::xapian.
find_package(xapian CONFIG REQUIRED)
if(NOT TARGET Xapian::xapian)
  add_library(Xapian::xapian UNKNOWN IMPORTED)
  set_target_properties(Xapian::xapian PROPERTIES
    IMPORTED_LOCATION "${XAPIAN_SHARED_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XAPIAN_INCLUDE_DIR}")
endif()
