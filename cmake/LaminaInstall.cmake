# install(): the static library, its headers under include/lamina, and a CMake package so that
# another project can write
#   find_package(lamina REQUIRED)
#   target_link_libraries(app PRIVATE lamina::lamina)
# The package config finds the public dependencies again (OpenMP, fmt, nlohmann_json, ZLIB)
# and recreates lamina::blas, the OpenMP build of OpenBLAS linked by full path.
# Everything here is in the install component "Development"; nothing else of the tree (tests,
# benchmarks, examples, tools) has install rules, and scripts/test_consumer.sh installs only
# this component (cmake --install build/release --component Development).
include(CMakePackageConfigHelpers)

set(LAMINA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/lamina)

install(TARGETS lamina EXPORT lamina-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lamina DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT Development)
install(EXPORT lamina-targets NAMESPACE lamina:: DESTINATION ${LAMINA_INSTALL_CMAKEDIR} COMPONENT Development)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lamina-config.cmake.in
  ${PROJECT_BINARY_DIR}/lamina-config.cmake INSTALL_DESTINATION ${LAMINA_INSTALL_CMAKEDIR})
# 0.x: minor versions may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lamina-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lamina-config.cmake ${PROJECT_BINARY_DIR}/lamina-config-version.cmake
  DESTINATION ${LAMINA_INSTALL_CMAKEDIR} COMPONENT Development)
