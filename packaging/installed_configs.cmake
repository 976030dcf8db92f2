# The configurations installed in /etc/disaggd: configs/*.yaml with the model path pointing at the
# installed demo model and the third-party plugin folder listed. Generated from the repository's
# files so that the two never drift apart. Sets DISAGGD_INSTALLED_CONFIGS.
set(DISAGGD_INSTALLED_CONFIGS "")
set(_repo_model_line "model: ../tests/fixtures/models/stories260K")
set(_installed_model_line "model: ${CMAKE_INSTALL_PREFIX}/${DISAGGD_MODEL_INSTALL_DIR}")
foreach(role IN ITEMS proxy prefill decode hybrid)
  set(source "${PROJECT_SOURCE_DIR}/configs/${role}.yaml")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${source}")
  file(READ "${source}" text)
  if(NOT role STREQUAL "proxy")
    string(FIND "${text}" "${_repo_model_line}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${source}: expected the line '${_repo_model_line}' to point the "
        "installed configuration at ${DISAGGD_MODEL_INSTALL_DIR}")
    endif()
    string(REPLACE "${_repo_model_line}" "${_installed_model_line}" text "${text}")
  endif()
  string(FIND "${text}" "\nplugins:" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "${source}: a 'plugins:' section would clash with the one the package adds")
  endif()
  string(APPEND text "
# Third-party plugins: drop their .so files in this folder (see /usr/share/doc/disaggd/plugins.md).
plugins:
  dirs: [${DISAGGD_THIRD_PARTY_PLUGIN_DIR}]
")
  set(installed "${CMAKE_CURRENT_BINARY_DIR}/etc/${role}.yaml")
  file(WRITE "${installed}" "${text}")
  list(APPEND DISAGGD_INSTALLED_CONFIGS "${installed}")
endforeach()
