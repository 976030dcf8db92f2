# DISAGGD_HARDENING: the compiler and linker protections distributions build packages with
# (Debian's and Fedora's defaults): fortified libc calls, stack protector and clash protection,
# control-flow protection where the target has it, full RELRO. On for the release and package
# presets. _FORTIFY_SOURCE is undefined first, so a toolchain that defines its own level (Ubuntu
# 24.04: 3) does not warn about a redefinition.
option(DISAGGD_HARDENING "Build with distribution-style hardening flags" OFF)
if(DISAGGD_HARDENING)
  include(CheckCXXCompilerFlag)
  add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong)
  foreach(flag IN ITEMS -fstack-clash-protection -fcf-protection)
    string(MAKE_C_IDENTIFIER "DISAGGD_HAS${flag}" have)
    check_cxx_compiler_flag(${flag} ${have})
    if(${have})
      add_compile_options(${flag})
    endif()
  endforeach()
  add_link_options(LINKER:-z,relro LINKER:-z,now)
endif()
