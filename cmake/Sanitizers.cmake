# ASan + UBSan for the `asan` preset; any UB report aborts the test that caused it.
if(INTERDICT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# ThreadSanitizer for the `tsan` preset (the concurrency tests). GCC warns (-Wtsan), once per
# handler type, that TSan does not model std::atomic_thread_fence, which Boost.Asio's handler
# completion uses (src/dns/server.cc); the server's threads are not among the TSan tests, so the
# warning is off.
if(INTERDICT_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()

# libFuzzer builds (the `fuzz` preset): the library gets coverage instrumentation too, or the
# fuzzer is blind to everything outside the fuzz target's own file.
if(INTERDICT_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
