# Third-party dependencies, all from Debian packages installed by scripts/setup.sh.

find_package(OpenMP REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(ZLIB REQUIRED)

# HDF5 (C library only) and libzip, for Keras files (.keras is a zip holding an HDF5 file;
# legacy .h5 is HDF5). Found through pkg-config: Debian's serial HDF5 lives in its own folder.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LAMINA_HDF5 REQUIRED IMPORTED_TARGET hdf5)
pkg_check_modules(LAMINA_LIBZIP REQUIRED IMPORTED_TARGET libzip)
add_library(lamina::hdf5 ALIAS PkgConfig::LAMINA_HDF5)
add_library(lamina::zip ALIAS PkgConfig::LAMINA_LIBZIP)

# OpenBLAS, OpenMP flavour, linked by full path. We deliberately do not use
# find_package(BLAS): on Debian it can resolve to the netlib reference BLAS
# (libblas.so.3), which is 20-30x slower. The rpath makes the loader pick the
# OpenMP build even if another flavour owns the libopenblas.so.0 alternative.
set(LAMINA_OPENBLAS_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")
find_library(LAMINA_OPENBLAS_LIBRARY NAMES openblas PATHS ${LAMINA_OPENBLAS_DIR} NO_DEFAULT_PATH)
find_path(LAMINA_OPENBLAS_INCLUDE_DIR NAMES cblas.h
  PATHS "/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp" NO_DEFAULT_PATH)
if(NOT LAMINA_OPENBLAS_LIBRARY OR NOT LAMINA_OPENBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "OpenBLAS (OpenMP) not found; run: bash scripts/setup.sh")
endif()
add_library(lamina::blas INTERFACE IMPORTED)
target_link_libraries(lamina::blas INTERFACE ${LAMINA_OPENBLAS_LIBRARY})
target_include_directories(lamina::blas INTERFACE ${LAMINA_OPENBLAS_INCLUDE_DIR})
set(CMAKE_BUILD_RPATH ${LAMINA_OPENBLAS_DIR})
set(CMAKE_INSTALL_RPATH ${LAMINA_OPENBLAS_DIR})
