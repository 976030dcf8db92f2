# disaggd_add_plugin(<target> KIND <routing|migration|model> NAME <name> SOURCES <files...>
#                    [OUTPUT_DIRECTORY <dir>])
# Builds a plugin library named libdisaggd_<kind>_<name>.so that links the plugin SDK, hides every
# symbol but disaggd_plugin_entry, and refuses undefined symbols at link time (a plugin must not
# depend on symbols of the daemon). Shipped with the SDK's CMake package for third-party plugins.
function(disaggd_add_plugin target)
  # The version script sits next to this file, in the source tree and in the installed package.
  set(_DISAGGD_PLUGIN_VERSION_SCRIPT "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/disaggd_plugin.map")
  cmake_parse_arguments(ARG "" "KIND;NAME;OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_KIND MATCHES "^(routing|migration|model)$")
    message(FATAL_ERROR "disaggd_add_plugin(${target}): KIND must be routing, migration or model, got '${ARG_KIND}'")
  endif()
  if(NOT ARG_NAME MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "disaggd_add_plugin(${target}): NAME must match [a-z0-9_]+, got '${ARG_NAME}'")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "disaggd_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE disaggd::plugin_sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "libdisaggd_${ARG_KIND}_${ARG_NAME}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${_DISAGGD_PLUGIN_VERSION_SCRIPT}")
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${_DISAGGD_PLUGIN_VERSION_SCRIPT}" "LINKER:-z,defs")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
endfunction()
