# disaggd_target_warnings(<target>): strict warnings for our own code, errors when
# DISAGGD_WARNINGS_AS_ERRORS is on. Third-party headers come in through imported targets, which
# CMake marks as system headers, so their warnings stay out.
function(disaggd_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wformat=2 -Wimplicit-fallthrough
    -Wnull-dereference -Wundef
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual>
    $<$<BOOL:${DISAGGD_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
