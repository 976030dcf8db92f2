# Read by cpack for each generator (CPACK_PROJECT_CONFIG_FILE). CPack's DEB generator would put the
# project-wide summary in front of every component's own description; each package's
# CPACK_DEBIAN_<COMPONENT>_DESCRIPTION already starts with its own summary line.
if(CPACK_GENERATOR STREQUAL "DEB")
  unset(CPACK_PACKAGE_DESCRIPTION_SUMMARY)
endif()
