# Warnings are errors for all of interdict's own targets (not for third-party code).
# -Wnull-dereference is left out: GCC 12 reports it from inlined libstdc++ code at -O2
# (seen in CLI11's string splitting), which we cannot fix.
add_library(interdict_warnings INTERFACE)
target_compile_options(interdict_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wconversion -Wsign-conversion -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough)
