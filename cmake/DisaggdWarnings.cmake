# disaggd_target_warnings(<target>): strict warnings for our own code, errors when
# DISAGGD_WARNINGS_AS_ERRORS is on. Third-party headers come in through imported targets, which
# CMake marks as system headers, so their warnings stay out.
function(disaggd_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wformat=2 -Wimplicit-fallthrough
    -Wundef
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual>
    $<$<BOOL:${DISAGGD_WARNINGS_AS_ERRORS}>:-Werror>
    # No -Wnull-dereference: it works only on optimised code, after inlining, where GCC 12 reports
    # false positives inside nlohmann/json's own iterators (system-header suppression does not
    # reach warnings issued after inlining). UBSan in the ci preset catches real null accesses.
    # GCC 12 at -O3 reports -Wrestrict inside libstdc++'s own std::string concatenation, a known
    # false positive (GCC bug 105329, fixed in GCC 13).
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
endfunction()
