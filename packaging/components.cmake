# The install components that become packages, and their package names: one list for the
# per-package documentation (CMakeLists.txt) and for CPack (cpack.cmake).
#   runtime -> disaggd        daemon, routing plugins, tcp migration, sim backend, configs, unit
#   dev     -> disaggd-dev    plugin ABI headers, C++ SDK, its CMake package, the example plugin
#   torch   -> disaggd-torch  the libtorch model backend
#   cuda    -> disaggd-cuda   } once one of their plugin targets is built
#   rdma    -> disaggd-rdma   }
set(DISAGGD_PACKAGE_COMPONENTS runtime dev)

# Appends `component` to DISAGGD_PACKAGE_COMPONENTS when any of the targets that follow exists.
function(disaggd_package_if_built component)
  foreach(target IN LISTS ARGN)
    if(TARGET ${target})
      set(DISAGGD_PACKAGE_COMPONENTS ${DISAGGD_PACKAGE_COMPONENTS} ${component} PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()
disaggd_package_if_built(torch disaggd_model_torch)
disaggd_package_if_built(cuda disaggd_model_cuda disaggd_migration_cuda_ipc)
disaggd_package_if_built(rdma disaggd_migration_rdma)

# disaggd_package_name(<variable> <component>): disaggd for runtime, disaggd-<component> otherwise.
function(disaggd_package_name variable component)
  if(component STREQUAL "runtime")
    set(${variable} disaggd PARENT_SCOPE)
  else()
    set(${variable} disaggd-${component} PARENT_SCOPE)
  endif()
endfunction()
