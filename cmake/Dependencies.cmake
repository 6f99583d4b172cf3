# Debian packages interdict builds on (scripts/deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(LibXml2 REQUIRED)
pkg_check_modules(IDN2 REQUIRED IMPORTED_TARGET libidn2)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(PSL REQUIRED IMPORTED_TARGET libpsl)  # src/guard: the Public Suffix List
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)
if(INTERDICT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
