// The translation unit that carries the example programs' precompiled header (CMakeLists.txt).
